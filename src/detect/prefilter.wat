;; The keyword prefilter's one pass (see prefilter.ts): every anchor looked for at
;; once, 16 bytes at a time, by the "Teddy" method of Hyperscan and Rust's aho-corasick.
;; Each anchor is given a bucket (a bit); for each of the three byte positions of an
;; anchor's fingerprint (three of its bytes, prefilter.ts), two 16-entry tables say which buckets accept a byte by its low nibble and
;; by its high nibble (i8x16.swizzle looks 16 bytes up at once). A position where all
;; three bytes are accepted by some bucket is a candidate; a candidate whose three bytes
;; hash to a bit some anchor's fingerprint set (a 64 KiB table at $exact: few other
;; three bytes share one) has its place and its bucket bits written out, and the caller compares the anchors
;; of those buckets there. Buckets shared by many anchors let many places through; the
;; exact table turns those away here rather than one by one in JavaScript.
;;
;; With $runs set, the loop also finds long base64 runs, where the caller looks for base64 inside
;; base64 (decode/base64.ts). Every other block (even, counting 16-byte blocks from the buffer's
;; start) is checked for 16 base64 characters (A-Z a-z 0-9 + /, by the same nibble lookup against
;; one more pair of tables: a class bit for each high nibble, the low nibbles each class takes; not
;; URL-safe base64's - and _, which long snake_case names are full of); one that is, with the block
;; before or after it too, is in a run of two whole blocks or more. Any run of 47 characters or
;; more holds two whole blocks, one of them even. A run found is written as two places with no
;; bucket bits, where it starts and where it ends (walked with the 256-byte table at $table, which
;; takes - and _ too), and the blocks up to its end are not checked again: a run (a megabyte of one
;; token) is walked once. The caller puts the 16 bytes before a piece and after it where the loop
;; reads them, zeroes around those (a walk stops there: the caller goes on where the buffer does),
;; and sets `runSkip` to -1 and `runEnd` to 0 for each piece.
;;
;; Memory: the six tables at 0-95 (position 0 low, position 0 high, 1 low, ...), 16
;; bytes of scratch at 96, then whatever the caller lays out. The 18 bytes after `end`
;; must be readable: a position just before it reads that far.
;; Built into prefilter-wasm.ts by `npm run wasm` (scripts/build-wasm.mjs).
(module
  (memory (export "memory") 1)
  (global $resume (export "resume") (mut i32) (i32.const 0))
  ;; A block whose run was written just before a call returned full: not looked at again when resumed there.
  (global $runSkip (export "runSkip") (mut i32) (i32.const -1))
  ;; Where the last run written ends (an address of this piece): a block before it is in that run.
  (global $runEnd (export "runEnd") (mut i32) (i32.const 0))
  ;; Candidates in [p, end): places (u32) at $out, bucket bits (u8) at $outBits, at most $max - 16.
  ;; Returns how many; `resume` is where to call again from (`end` when the range is done).
  (func (export "scan") (param $p i32) (param $end i32) (param $out i32) (param $outBits i32) (param $max i32) (param $exact i32) (param $runs i32) (param $table i32) (result i32)
    (local $n i32) (local $m v128) (local $bits i32) (local $lane i32) (local $pos i32) (local $key i32) (local $prevAll i32) (local $w v128) (local $bl v128) (local $bh v128) (local $lo v128) (local $hi v128)
    (local $t0l v128) (local $t0h v128) (local $t1l v128) (local $t1h v128) (local $t2l v128) (local $t2h v128) (local $v v128)
    (local.set $bl (v128.const i8x16 5 7 7 7 7 7 7 7 7 7 6 10 2 2 2 10))
    (local.set $bh (v128.const i8x16 0 0 8 1 2 4 2 4 0 0 0 0 0 0 0 0))
    (local.set $t0l (v128.load (i32.const 0)))
    (local.set $t0h (v128.load (i32.const 16)))
    (local.set $t1l (v128.load (i32.const 32)))
    (local.set $t1h (v128.load (i32.const 48)))
    (local.set $t2l (v128.load (i32.const 64)))
    (local.set $t2h (v128.load (i32.const 80)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $lo (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
        (local.set $hi (i8x16.shr_u (local.get $v) (i32.const 4)))
        (local.set $m (v128.and (i8x16.swizzle (local.get $t0l) (local.get $lo)) (i8x16.swizzle (local.get $t0h) (local.get $hi))))
        ;; Long base64 runs: every other block (even from the buffer's start) past the last run written is
        ;; checked; one all base64 whose previous or next block is too is in a run of two blocks or more.
        (if (i32.and
              (i32.and (local.get $runs) (i32.eqz (i32.and (local.get $p) (i32.const 16))))
              (i32.and (i32.ne (local.get $p) (global.get $runSkip)) (i32.ge_u (local.get $p) (global.get $runEnd))))
          (then
            (if (i8x16.all_true (v128.and
                  (i8x16.swizzle (local.get $bl) (local.get $lo))
                  (i8x16.swizzle (local.get $bh) (local.get $hi))))
              (then
                (local.set $w (v128.load offset=0 (i32.sub (local.get $p) (i32.const 16))))
                (local.set $prevAll (i8x16.all_true (v128.and
                  (i8x16.swizzle (local.get $bl) (v128.and (local.get $w) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
                  (i8x16.swizzle (local.get $bh) (i8x16.shr_u (local.get $w) (i32.const 4))))))
                (if (i32.or
                      (local.get $prevAll)
                      (block (result i32)
                        (local.set $w (v128.load offset=16 (local.get $p)))
                        (i8x16.all_true (v128.and
                          (i8x16.swizzle (local.get $bl) (v128.and (local.get $w) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
                          (i8x16.swizzle (local.get $bh) (i8x16.shr_u (local.get $w) (i32.const 4)))))))
                  (then
                    ;; The run's extent, by the table at $table (base64 and its URL-safe - and _): from the block
                    ;; before when that one is base64 too, back; from the block after, on. Zeroes around the
                    ;; piece and its 16 bytes either side stop both walks.
                    (local.set $pos (select (i32.sub (local.get $p) (i32.const 16)) (local.get $p) (local.get $prevAll)))
                    (block $startFound
                      (loop $back
                        (br_if $startFound (i32.eqz (i32.load8_u (i32.add (local.get $table) (i32.load8_u offset=0 (i32.sub (local.get $pos) (i32.const 1)))))))
                        (local.set $pos (i32.sub (local.get $pos) (i32.const 1)))
                        (br $back)))
                    (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $pos))
                    (i32.store8 (i32.add (local.get $outBits) (local.get $n)) (i32.const 0))
                    (local.set $pos (i32.add (local.get $p) (i32.const 16)))
                    (block $endFound
                      (loop $on
                        (br_if $endFound (i32.eqz (i32.load8_u (i32.add (local.get $table) (i32.load8_u (local.get $pos))))))
                        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
                        (br $on)))
                    (i32.store offset=4 (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $pos))
                    (global.set $runEnd (local.get $pos))
                    (i32.store8 offset=1 (i32.add (local.get $outBits) (local.get $n)) (i32.const 0))
                    (local.set $n (i32.add (local.get $n) (i32.const 2)))
                    (if (i32.ge_u (local.get $n) (i32.sub (local.get $max) (i32.const 16)))
                      (then
                        ;; Full: called again from this block, for its candidates.
                        (global.set $resume (local.get $p))
                        (global.set $runSkip (local.get $p))
                        (return (local.get $n))))))))))
        (local.set $v (v128.load offset=1 (local.get $p)))
        (local.set $m (v128.and (local.get $m) (v128.and
          (i8x16.swizzle (local.get $t1l) (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
          (i8x16.swizzle (local.get $t1h) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (local.set $v (v128.load offset=2 (local.get $p)))
        (local.set $m (v128.and (local.get $m) (v128.and
          (i8x16.swizzle (local.get $t2l) (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
          (i8x16.swizzle (local.get $t2h) (i8x16.shr_u (local.get $v) (i32.const 4))))))
        (if (v128.any_true (local.get $m))
          (then
            (v128.store (i32.const 96) (local.get $m))
            (local.set $bits (i32.xor (i8x16.bitmask (i8x16.eq (local.get $m) (v128.const i64x2 0 0))) (i32.const 0xffff)))
            (block $lanesDone
              (loop $lanes
                (br_if $lanesDone (i32.eqz (local.get $bits)))
                (local.set $lane (i32.ctz (local.get $bits)))
                (local.set $pos (i32.add (local.get $p) (local.get $lane)))
                (if (i32.lt_u (local.get $pos) (local.get $end))
                  (then
                    ;; The three bytes there, hashed to 19 bits: a bit of the table at $exact says whether some anchor starts so.
                    (local.set $key (i32.shr_u
                      (i32.mul (i32.and (i32.load (local.get $pos)) (i32.const 0xffffff)) (i32.const 0x9e3779b1))
                      (i32.const 13)))
                    (if (i32.and
                          (i32.load8_u (i32.add (local.get $exact) (i32.shr_u (local.get $key) (i32.const 3))))
                          (i32.shl (i32.const 1) (i32.and (local.get $key) (i32.const 7))))
                      (then
                        (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $pos))
                        (i32.store8 (i32.add (local.get $outBits) (local.get $n)) (i32.load8_u offset=96 (local.get $lane)))
                        (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
                (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
                (br $lanes)))
            (if (i32.ge_u (local.get $n) (i32.sub (local.get $max) (i32.const 16)))
              (then
                (global.set $resume (i32.add (local.get $p) (i32.const 16)))
                (return (local.get $n))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (global.set $resume (local.get $end))
    (local.get $n)))
