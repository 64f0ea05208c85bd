;; The keyword prefilter's one pass (see prefilter.ts): every anchor looked for at
;; once, 16 bytes at a time, by the "Teddy" method of Hyperscan and Rust's aho-corasick.
;; Each anchor is given a bucket (a bit); for each of the first three byte positions of
;; an anchor, two 16-entry tables say which buckets accept a byte by its low nibble and
;; by its high nibble (i8x16.swizzle looks 16 bytes up at once). A position where all
;; three bytes are accepted by some bucket is a candidate; a candidate whose three bytes
;; hash to a bit some anchor's first three bytes set (a 64 KiB table at $exact: few other
;; three bytes share one) has its place and its bucket bits written out, and the caller compares the anchors
;; of those buckets there. Buckets shared by many anchors let many places through; the
;; exact table turns those away here rather than one by one in JavaScript.
;;
;; Memory: the six tables at 0-95 (position 0 low, position 0 high, 1 low, ...), 16
;; bytes of scratch at 96, then whatever the caller lays out. The 18 bytes after `end`
;; must be readable: a position just before it reads that far.
;; Built into prefilter-wasm.ts by `npm run wasm` (scripts/build-wasm.mjs).
(module
  (memory (export "memory") 1)
  (global $resume (export "resume") (mut i32) (i32.const 0))
  ;; Candidates in [p, end): places (u32) at $out, bucket bits (u8) at $outBits, at most $max - 16.
  ;; Returns how many; `resume` is where to call again from (`end` when the range is done).
  (func (export "scan") (param $p i32) (param $end i32) (param $out i32) (param $outBits i32) (param $max i32) (param $exact i32) (result i32)
    (local $n i32) (local $m v128) (local $bits i32) (local $lane i32) (local $pos i32) (local $key i32)
    (local $t0l v128) (local $t0h v128) (local $t1l v128) (local $t1h v128) (local $t2l v128) (local $t2h v128) (local $v v128)
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
        (local.set $m (v128.and
          (i8x16.swizzle (local.get $t0l) (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
          (i8x16.swizzle (local.get $t0h) (i8x16.shr_u (local.get $v) (i32.const 4)))))
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
