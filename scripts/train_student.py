#!/usr/bin/env python3
"""Fit the distilled student network (src/model/student.rs) to the musicnn
teacher's outputs that ``genreplay distill`` cached, with TensorFlow, and write
its weights for the Rust port.

For maintainers only (users and CI never need Python). Why TensorFlow: burn's
CPU autodiff trains this network at ~20 patches/s on the 2-core machine
(~20 min per epoch of the 22k cached patches); TensorFlow's CPU kernels train it
several times faster. The patches, the augmentation and the teacher's labels
all come from the Rust side; only the gradient steps run here.

    # 1. decode, augment, label with the teacher (cached; no training):
    genreplay --data-dir DATA distill ../shared/data/gtzan-dev ../shared/data/library-sample \\
        --exclude-split valid --exclude-split unlisted --examples 20000 --epochs 0 --out /tmp/s
    # 2. fit (DATA/cache/distill/<key>/ holds the labelled parts):
    /work/venv/musicnn/bin/python scripts/train_student.py DATA/cache/distill/<key> --epochs 24

Outputs
  models/student_musicnn.safetensors   the student's weights, float32, TF layouts
  models/student_musicnn.json          its architecture (a StudentConfig)
  models/student_musicnn.report.json   training history and held-out fidelity
  tests/fixtures/student_ref/reference.safetensors
                                       TF outputs on the two patches of
                                       tests/fixtures/musicnn_ref/ (port test)

The network (NHWC, H = time 187, W = mel 96), mirrored exactly by the burn
module: fixed input scaling (x - 2.1978) * 0.7943; stem conv 4x4 stride 4
VALID -> ReLU -> BN; blocks of [3x3 depthwise 'same' -> ReLU -> 1x1 conv ->
ReLU -> BN] (2x2 max pool after the blocks in pool_after); max over mel; mean ||
max over time; dense hidden -> ReLU -> BN; dense 200 (the embedding); dense 50
(tag logits, initialised from musicnn's last layer). BN epsilon 1e-5.

Cache part format (written by src/model/distill.rs): b"GRDIST01", u64 n, then
n x 187 x 96 float16 patches, then n x 250 float32 targets (200 penultimate
values || 50 tag logits). file-NNNN.bin are the source files' own patches (every
10th file, NNNN + 1 divisible by 10, is held out: its clip patches only), and
aug-NNNN.bin the augmented patches.
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FRAMES, MELS, PEN, TAGS = 187, 96, 200, 50
TARGETS = PEN + TAGS
PATCH = FRAMES * MELS
INPUT_MEAN, INPUT_INV_STD = 2.1978, 0.7943
BN_EPS = 1e-5

SHIPPED = {
    "channels": [64, 96, 128, 192, 256],
    "stem": 48,
    "stem_kernel": [4, 4],
    "stem_stride": [4, 4],
    "pool_after": [1, 3],
    "depthwise": True,
    "batch_norm": True,
    "hidden": 512,
}


def read_part(path):
    b = path.read_bytes()
    if b[:8] != b"GRDIST01":
        sys.exit(f"{path}: not a distillation cache part")
    n = int.from_bytes(b[8:16], "little")
    p = np.frombuffer(b, dtype="<f2", count=n * PATCH, offset=16).reshape(n, FRAMES, MELS)
    t = np.frombuffer(b, dtype="<f4", count=n * TARGETS, offset=16 + n * PATCH * 2)
    return p, t.reshape(n, TARGETS)


def load_cache(cache, holdout_every):
    train_p, train_t, hold_p, hold_t = [], [], [], []
    files = sorted(cache.glob("file-*.bin"))
    augs = sorted(cache.glob("aug-*.bin"))
    if not files:
        sys.exit(f"{cache}: no file-*.bin parts")
    for f in files:
        i = int(f.stem.split("-")[1])
        p, t = read_part(f)
        if holdout_every and (i + 1) % holdout_every == 0:
            hold_p.append(p)
            hold_t.append(t)
        else:
            train_p.append(p)
            train_t.append(t)
    for f in augs:
        p, t = read_part(f)
        train_p.append(p)
        train_t.append(t)
    cat = np.concatenate
    return (cat(train_p), cat(train_t),
            cat(hold_p) if hold_p else None, cat(hold_t) if hold_t else None,
            len(files), len(augs))


def read_safetensors(path):
    b = Path(path).read_bytes()
    n = int.from_bytes(b[:8], "little")
    header = json.loads(b[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        lo, hi = v["data_offsets"]
        out[k] = np.frombuffer(b[8 + n + lo:8 + n + hi], dtype="<f4").reshape(v["shape"])
    return out


def save_safetensors(path, tensors, metadata):
    """Deterministic: sorted names, float32 little-endian, 8-byte aligned header."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    blobs, offset = [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        blobs.append(arr.tobytes())
        offset += arr.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for blob in blobs:
            f.write(blob)
    tmp.replace(path)
    back = read_safetensors(path)
    if set(back) != set(tensors) or not all(
            np.array_equal(back[k], np.asarray(v, np.float32)) for k, v in tensors.items()):
        sys.exit(f"read-back check failed for {path}")


def build(cfg):
    L = tf.keras.layers
    bn = lambda name: L.BatchNormalization(momentum=0.9, epsilon=BN_EPS, name=name)  # noqa: E731
    x_in = tf.keras.Input((FRAMES, MELS, 1))
    h = (x_in - INPUT_MEAN) * INPUT_INV_STD
    h = L.Conv2D(cfg["stem"], cfg["stem_kernel"], strides=cfg["stem_stride"],
                 padding="valid", name="stem")(h)
    h = bn("stem_bn")(tf.nn.relu(h))
    for i, c in enumerate(cfg["channels"]):
        h = tf.nn.relu(L.DepthwiseConv2D(3, padding="same", name=f"block{i}_dw")(h))
        h = bn(f"block{i}_bn")(tf.nn.relu(L.Conv2D(c, 1, name=f"block{i}_pw")(h)))
        if i in cfg["pool_after"]:
            h = L.MaxPool2D(2, padding="valid")(h)
    over_mel = tf.reduce_max(h, axis=2)  # [B, T, C]
    pooled = tf.concat([tf.reduce_mean(over_mel, axis=1), tf.reduce_max(over_mel, axis=1)], -1)
    hidden = bn("hidden_bn")(tf.nn.relu(L.Dense(cfg["hidden"], name="hidden")(pooled)))
    emb = L.Dense(PEN, name="embedding")(hidden)
    logits = L.Dense(TAGS, name="tags")(emb)
    return tf.keras.Model(x_in, [emb, logits])


def macs(cfg):
    kt, kf = cfg["stem_kernel"]
    st, sf = cfg["stem_stride"]
    t, f = (FRAMES - kt) // st + 1, (MELS - kf) // sf + 1
    total = t * f * kt * kf * cfg["stem"]
    cin = cfg["stem"]
    for i, c in enumerate(cfg["channels"]):
        total += t * f * (9 * cin + cin * c)
        cin = c
        if i in cfg["pool_after"]:
            t, f = t // 2, f // 2
    return total + 2 * cin * cfg["hidden"] + cfg["hidden"] * PEN + PEN * TAGS


def export(model, cfg):
    """Weights under the names src/model/student.rs reads, TF layouts."""
    out = {}
    for layer in model.layers:
        w = layer.get_weights()
        if not w:
            continue
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            for k, v in zip(["gamma", "beta", "moving_mean", "moving_variance"], w):
                out[f"{layer.name}.{k}"] = v
        elif isinstance(layer, tf.keras.layers.DepthwiseConv2D):
            out[f"{layer.name}.kernel"] = w[0]  # [3, 3, C, 1]
            out[f"{layer.name}.bias"] = w[1]
        else:
            out[f"{layer.name}.kernel"] = w[0]  # conv [kh, kw, in, out] / dense [in, out]
            out[f"{layer.name}.bias"] = w[1]
    return out


def fidelity(model, p, t):
    emb, logits = predict(model, p)
    s = np.concatenate([emb, logits], 1).astype(np.float64)
    t = t.astype(np.float64)

    def r2(lo, hi):
        d = t[:, lo:hi]
        return 1.0 - ((s[:, lo:hi] - d) ** 2).sum() / ((d - d.mean(0)) ** 2).sum()

    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    return {"patches": int(len(p)), "embedding_r2": float(r2(0, PEN)),
            "logit_r2": float(r2(PEN, TARGETS)),
            "tag_prob_mae": float(np.abs(sig(s[:, PEN:]) - sig(t[:, PEN:])).mean())}


def predict(model, p, bs=128):
    embs, logs = [], []
    for i in range(0, len(p), bs):
        e, lg = model(p[i:i + bs].astype(np.float32)[..., None], training=False)
        embs.append(e.numpy())
        logs.append(lg.numpy())
    return np.concatenate(embs), np.concatenate(logs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cache", type=Path)
    ap.add_argument("--epochs", type=int, default=24)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--holdout-every", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after N steps (timing)")
    ap.add_argument("--out", type=Path, default=REPO / "models" / "student_musicnn")
    args = ap.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(args.seed)
    cfg = SHIPPED

    t0 = time.time()
    tp, tt, hp, ht, n_files, n_aug = load_cache(args.cache, args.holdout_every)
    print(f"{len(tp)} training patches ({n_files} file parts, {n_aug} augmented parts), "
          f"{0 if hp is None else len(hp)} held out; loaded in {time.time() - t0:.0f} s", flush=True)
    inv_scale = (1.0 / np.maximum(tt.std(0), 1e-2)).astype(np.float32)

    model = build(cfg)
    teacher = read_safetensors(REPO / "models" / "musicnn_msd.safetensors")
    tag = model.get_layer("tags")
    tag.set_weights([teacher["backend.dense2.kernel"], teacher["backend.dense2.bias"]])
    n_params = int(sum(np.prod(w.shape) for w in model.weights
                       if "moving" not in w.name))
    print(f"student: {macs(cfg) / 1e6:.1f} MMAC per patch, {n_params} parameters", flush=True)

    steps_per_epoch = math.ceil(len(tp) / args.batch_size)
    total = max(steps_per_epoch * args.epochs, 1)
    # Cosine decay from lr to 2 % of it (as src/model/distill.rs).
    sched = tf.keras.optimizers.schedules.CosineDecay(args.lr, total, alpha=0.02)
    opt = tf.keras.optimizers.AdamW(learning_rate=sched, weight_decay=args.weight_decay)
    inv = tf.constant(inv_scale[None, :])

    @tf.function(reduce_retracing=True)
    def step(x, y):
        with tf.GradientTape() as tape:
            e, lg = model(x, training=True)
            d = (tf.concat([e, lg], 1) - y) * inv
            loss = tf.reduce_mean(d * d)
        g = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(g, model.trainable_variables))
        return loss

    rng = np.random.default_rng(args.seed)
    history = []
    done = 0
    for epoch in range(1, args.epochs + 1):
        t1 = time.time()
        order = rng.permutation(len(tp))
        losses = []
        for b in range(steps_per_epoch):
            ix = np.sort(order[b * args.batch_size:(b + 1) * args.batch_size])
            x = tp[ix].astype(np.float32)[..., None]
            losses.append(float(step(tf.constant(x), tf.constant(tt[ix]))))
            done += 1
            if args.max_steps and done >= args.max_steps:
                dt = time.time() - t1
                print(f"{done} steps in {dt:.1f} s: {done * args.batch_size / dt:.0f} patches/s")
                return
        secs = time.time() - t1
        rec = {"epoch": epoch, "epochs": args.epochs, "loss": float(np.mean(losses)),
               "learning_rate": float(sched(done)), "secs": secs,
               "examples_per_sec": len(tp) / secs,
               "holdout": fidelity(model, hp, ht) if hp is not None else None}
        history.append(rec)
        h = rec["holdout"]
        print(f"epoch {epoch:>3}/{args.epochs}  loss {rec['loss']:.4f}  "
              f"{rec['examples_per_sec']:.0f} patches/s  {secs:.0f} s"
              + (f"  held-out R² embedding {h['embedding_r2']:.3f} logits {h['logit_r2']:.3f}, "
                 f"tag MAE {h['tag_prob_mae']:.4f}" if h else ""), flush=True)
        write(model, cfg, args, history, n_params, len(tp))

    write_reference(model)


def write(model, cfg, args, history, n_params, n_train):
    meta = {"format": "student_musicnn", "layout": "TensorFlow (conv [kh,kw,in,out], "
            "depthwise [kh,kw,C,1], dense [in,out])", "epochs_done": str(len(history))}
    save_safetensors(Path(str(args.out) + ".safetensors"), export(model, cfg), meta)
    Path(str(args.out) + ".json").write_text(json.dumps(cfg, indent=2) + "\n")
    report = {"cache": args.cache.name, "train_patches": n_train, "params": n_params,
              "macs": macs(cfg), "epochs": args.epochs, "batch_size": args.batch_size,
              "learning_rate": args.lr, "weight_decay": args.weight_decay, "seed": args.seed,
              "history": history}
    Path(str(args.out) + ".report.json").write_text(json.dumps(report, indent=2) + "\n")


def write_reference(model):
    ref = read_safetensors(REPO / "tests" / "fixtures" / "musicnn_ref" / "reference.safetensors")
    p = ref["patches"]  # [2, 187, 96]
    e, lg = predict(model, p)
    out = REPO / "tests" / "fixtures" / "student_ref"
    out.mkdir(parents=True, exist_ok=True)
    save_safetensors(out / "reference.safetensors", {"embedding": e, "logits": lg},
                     {"input": "the `patches` tensor [2,187,96] of "
                      "tests/fixtures/musicnn_ref/reference.safetensors",
                      "weights": "models/student_musicnn.safetensors"})
    print(f"wrote {out / 'reference.safetensors'}")


if __name__ == "__main__":
    main()
