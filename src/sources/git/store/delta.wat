;; git's delta instructions applied in WebAssembly (see delta.ts for the format): each
;; copy and insert one memory.copy, with no per-instruction call into the runtime
;; (in JavaScript, the copies cost more than inflating; express's blob versions are
;; 2.6 million of them). The base, the delta and the result are in this module's
;; memory, laid out by the caller (pack.ts's BuildRing).
;;
;; `apply` reads the instructions after the delta's two sizes (the caller read those:
;; `delta` points past them), checks every bound, and writes the ranges the delta makes
;; new as u32 pairs at `fresh` (at most `freshMax` pairs; see delta.ts): each insert
;; (inserts in a row are one), and each seam where a copy follows one that did not end
;; where it starts in the base. Returns how many pairs, or:
;;   -1 a copy past the base or the result, or one cut off by the delta's end;
;;   -2 an insert past the delta or the result; -3 the reserved instruction 0;
;;   -4 the result is not the size named; -5 more than freshMax pairs.
;; Built into delta-wasm.ts by `npm run wasm` (scripts/build-wasm.mjs).
(module
  (memory (export "memory") 1)
  (func (export "apply") (param $base i32) (param $baseLen i32) (param $delta i32) (param $deltaEnd i32) (param $out i32) (param $outLen i32) (param $fresh i32) (param $freshMax i32) (result i32)
    (local $op i32) (local $offset i32) (local $length i32) (local $written i32) (local $copiedTo i32) (local $pairs i32) (local $at i32)
    (local.set $copiedTo (i32.const -1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $delta) (local.get $deltaEnd)))
        (local.set $op (i32.load8_u (local.get $delta)))
        (local.set $delta (i32.add (local.get $delta) (i32.const 1)))
        (if (i32.and (local.get $op) (i32.const 0x80))
          (then
            ;; A copy: up to four offset bytes and three size bytes, as the low seven bits say.
            (local.set $offset (i32.const 0))
            (local.set $length (i32.const 0))
            (if (i32.and (local.get $op) (i32.const 1)) (then (local.set $offset (i32.load8_u (local.get $delta))) (local.set $delta (i32.add (local.get $delta) (i32.const 1)))))
            (if (i32.and (local.get $op) (i32.const 2)) (then (local.set $offset (i32.or (local.get $offset) (i32.shl (i32.load8_u (local.get $delta)) (i32.const 8)))) (local.set $delta (i32.add (local.get $delta) (i32.const 1)))))
            (if (i32.and (local.get $op) (i32.const 4)) (then (local.set $offset (i32.or (local.get $offset) (i32.shl (i32.load8_u (local.get $delta)) (i32.const 16)))) (local.set $delta (i32.add (local.get $delta) (i32.const 1)))))
            (if (i32.and (local.get $op) (i32.const 8)) (then (local.set $offset (i32.or (local.get $offset) (i32.shl (i32.load8_u (local.get $delta)) (i32.const 24)))) (local.set $delta (i32.add (local.get $delta) (i32.const 1)))))
            (if (i32.and (local.get $op) (i32.const 16)) (then (local.set $length (i32.load8_u (local.get $delta))) (local.set $delta (i32.add (local.get $delta) (i32.const 1)))))
            (if (i32.and (local.get $op) (i32.const 32)) (then (local.set $length (i32.or (local.get $length) (i32.shl (i32.load8_u (local.get $delta)) (i32.const 8)))) (local.set $delta (i32.add (local.get $delta) (i32.const 1)))))
            (if (i32.and (local.get $op) (i32.const 64)) (then (local.set $length (i32.or (local.get $length) (i32.shl (i32.load8_u (local.get $delta)) (i32.const 16)))) (local.set $delta (i32.add (local.get $delta) (i32.const 1)))))
            (if (i32.eqz (local.get $length)) (then (local.set $length (i32.const 0x10000))))
            ;; Offsets are unsigned: an offset of 2 GiB or more is past any base this memory holds.
            (if (i32.or (i32.gt_u (local.get $delta) (local.get $deltaEnd))
                  (i32.or (i32.lt_s (local.get $offset) (i32.const 0))
                    (i32.or (i32.gt_u (i32.add (local.get $offset) (local.get $length)) (local.get $baseLen))
                      (i32.gt_u (i32.add (local.get $written) (local.get $length)) (local.get $outLen)))))
              (then (return (i32.const -1))))
            (memory.copy (i32.add (local.get $out) (local.get $written)) (i32.add (local.get $base) (local.get $offset)) (local.get $length))
            ;; A seam: this copy does not go on where the last one ended in the base.
            (if (i32.and (i32.ne (local.get $copiedTo) (i32.const -1)) (i32.ne (local.get $copiedTo) (local.get $offset)))
              (then
                (if (i32.ge_u (local.get $pairs) (local.get $freshMax)) (then (return (i32.const -5))))
                (local.set $at (i32.add (local.get $fresh) (i32.shl (local.get $pairs) (i32.const 3))))
                (i32.store (local.get $at) (local.get $written))
                (i32.store offset=4 (local.get $at) (local.get $written))
                (local.set $pairs (i32.add (local.get $pairs) (i32.const 1)))))
            (local.set $copiedTo (i32.add (local.get $offset) (local.get $length)))
            (local.set $written (i32.add (local.get $written) (local.get $length))))
          (else
            (if (i32.eqz (local.get $op)) (then (return (i32.const -3))))
            (if (i32.or (i32.gt_u (i32.add (local.get $delta) (local.get $op)) (local.get $deltaEnd))
                  (i32.gt_u (i32.add (local.get $written) (local.get $op)) (local.get $outLen)))
              (then (return (i32.const -2))))
            (memory.copy (i32.add (local.get $out) (local.get $written)) (local.get $delta) (local.get $op))
            ;; An insert right after an insert extends its range; else it starts one.
            (if (i32.and (i32.eq (local.get $copiedTo) (i32.const -1))
                  (i32.and (i32.gt_u (local.get $pairs) (i32.const 0))
                    (i32.eq (i32.load offset=4 (i32.add (local.get $fresh) (i32.shl (i32.sub (local.get $pairs) (i32.const 1)) (i32.const 3)))) (local.get $written))))
              (then
                (i32.store offset=4 (i32.add (local.get $fresh) (i32.shl (i32.sub (local.get $pairs) (i32.const 1)) (i32.const 3))) (i32.add (local.get $written) (local.get $op))))
              (else
                (if (i32.ge_u (local.get $pairs) (local.get $freshMax)) (then (return (i32.const -5))))
                (local.set $at (i32.add (local.get $fresh) (i32.shl (local.get $pairs) (i32.const 3))))
                (i32.store (local.get $at) (local.get $written))
                (i32.store offset=4 (local.get $at) (i32.add (local.get $written) (local.get $op)))
                (local.set $pairs (i32.add (local.get $pairs) (i32.const 1)))))
            (local.set $copiedTo (i32.const -1))
            (local.set $delta (i32.add (local.get $delta) (local.get $op)))
            (local.set $written (i32.add (local.get $written) (local.get $op)))))
        (br $next)))
    (if (i32.ne (local.get $written) (local.get $outLen)) (then (return (i32.const -4))))
    (local.get $pairs)))
