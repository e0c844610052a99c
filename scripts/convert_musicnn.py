#!/usr/bin/env python3
"""Convert the pretrained musicnn ``MSD_musicnn`` model to safetensors and
write reference data for the Rust/burn port.

Run from the repository root with the dedicated venv (see
scripts/requirements-musicnn.txt for how to build it):

    /work/venv-musicnn/bin/python scripts/convert_musicnn.py

Outputs
  models/musicnn_msd.safetensors               all inference weights, float32,
                                                TensorFlow layouts (see below)
  tests/fixtures/musicnn_ref/input.wav          deterministic 16 kHz mono PCM16
  tests/fixtures/musicnn_ref/reference.safetensors
                                                front-end + network references
  tests/fixtures/musicnn_ref/tags.json          the 50 MSD tags, output order

The network graph is built with ``musicnn.models.define_model`` (the code the
upstream ``extractor()`` uses), the checkpoint shipped in the musicnn 0.1.0
wheel is restored explicitly and every variable is compared bit-for-bit with
the checkpoint reader, so a failed restore cannot go unnoticed (upstream
``extractor()`` hides restore failures behind a bare ``except``).

Weight layouts (kept exactly as TensorFlow stores them):
  *.conv.kernel   [kh, kw, in, out]   kh = time taps, kw = mel/feature taps
  *.conv.bias     [out]
  *.bn.gamma / beta / moving_mean / moving_variance   [channels]
  *.kernel (dense) [in, out]          y = x @ kernel + bias
  *.bias (dense)   [out]
Batch norm: y = (x - moving_mean) / sqrt(moving_variance + 1e-3) * gamma + beta
See scripts/MUSICNN_ARCH.md for the complete graph description.
"""

import json
import os
import sys
import warnings
from pathlib import Path

# Deterministic, portable TF numerics (no oneDNN graph rewrites) and quiet logs.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import librosa  # noqa: E402
import soundfile as sf  # noqa: E402
import tensorflow as tf  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

import musicnn  # noqa: E402
from musicnn import configuration as mconf  # noqa: E402
from musicnn import extractor as mextractor  # noqa: E402  (disables eager mode)
from musicnn import models as mmodels  # noqa: E402

tf.compat.v1.disable_eager_execution()
tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)

REPO = Path(__file__).resolve().parent.parent
MODEL_OUT = REPO / "models" / "musicnn_msd.safetensors"
REF_DIR = REPO / "tests" / "fixtures" / "musicnn_ref"

MODEL_NAME = "MSD_musicnn"
CKPT_PREFIX = os.path.join(os.path.dirname(musicnn.__file__), MODEL_NAME) + "/"
N_FRAMES = 187  # librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
N_MELS = mconf.N_MELS  # 96
SR = mconf.SR  # 16000
HOP = mconf.FFT_HOP  # 256
N_FFT = mconf.FFT_SIZE  # 512
BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization default (checked below)
INPUT_SECONDS = 3.3
INPUT_SEED = 20190705

# TF variable scope  ->  our tensor-name prefix.  Order = graph order.
LAYER_MAP = [
    ("batch_normalization", "frontend.input_bn"),
    ("conv2d", "frontend.timbral_f74.conv"),
    ("batch_normalization_1", "frontend.timbral_f74.bn"),
    ("conv2d_1", "frontend.timbral_f77.conv"),
    ("batch_normalization_2", "frontend.timbral_f77.bn"),
    ("conv2d_2", "frontend.temporal_s1.conv"),
    ("batch_normalization_3", "frontend.temporal_s1.bn"),
    ("conv2d_3", "frontend.temporal_s2.conv"),
    ("batch_normalization_4", "frontend.temporal_s2.bn"),
    ("conv2d_4", "frontend.temporal_s3.conv"),
    ("batch_normalization_5", "frontend.temporal_s3.bn"),
    ("conv2d_5", "midend.conv1.conv"),
    ("batch_normalization_6", "midend.conv1.bn"),
    ("conv2d_6", "midend.conv2.conv"),
    ("batch_normalization_7", "midend.conv2.bn"),
    ("conv2d_7", "midend.conv3.conv"),
    ("batch_normalization_8", "midend.conv3.bn"),
    ("batch_normalization_9", "backend.pool_bn"),
    ("dense", "backend.dense1"),
    ("batch_normalization_10", "backend.dense1_bn"),
    ("dense_1", "backend.dense2"),
]

# Graph tensors (TF 2.15 naming for the graph built by musicnn.models under
# name_scope "model") that we read directly.  Shapes are asserted at runtime.
PROBES = {
    "timbral_f74": ("model/Squeeze:0", (None, N_FRAMES, 204)),
    "timbral_f77": ("model/Squeeze_1:0", (None, N_FRAMES, 204)),
    "temporal_s1": ("model/Squeeze_2:0", (None, N_FRAMES, 51)),
    "temporal_s2": ("model/Squeeze_3:0", (None, N_FRAMES, 51)),
    "temporal_s3": ("model/Squeeze_4:0", (None, N_FRAMES, 51)),
    "frontend": ("model/concat:0", (None, N_FRAMES, 561)),
    "midend_concat": ("model/concat_1:0", (None, N_FRAMES, 753, 1)),
    "pooled_flat": ("model/flatten/Reshape:0", (None, 1506)),
    "pooled_bn": ("model/batch_normalization_9/batchnorm/add_1:0", (None, 1506)),
    "dense_relu": ("model/dense/Relu:0", (None, 200)),
}


def save_safetensors(path, tensors, metadata):
    """Write a safetensors file deterministically (sorted metadata and tensor
    names, so a rerun gives byte-identical output; the safetensors package
    writes __metadata__ in hash-map order).  All tensors float32 little-endian.
    The file is read back with the safetensors package and compared."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    blobs, offset = [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        blobs.append(arr.tobytes())
        offset += arr.nbytes
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * (-len(hbytes) % 8)  # pad header to 8-byte alignment
    with open(path, "wb") as f:
        f.write(len(hbytes).to_bytes(8, "little"))
        f.write(hbytes)
        for b in blobs:
            f.write(b)
    back = load_file(str(path))
    if set(back) != set(tensors) or not all(
            np.array_equal(back[k], np.asarray(v, np.float32)) for k, v in tensors.items()):
        sys.exit(f"read-back check failed for {path}")


def human(n):
    return f"{n / 1024:.1f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.2f} MiB"


# --------------------------------------------------------------------------
# 1. graph + checkpoint
# --------------------------------------------------------------------------
def build_and_restore():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, N_MELS], name="patches")
        is_training = tf.compat.v1.placeholder_with_default(False, [], name="is_training")
        with tf.name_scope("model"):
            (logits, timbral, temporal, cnn1, cnn2, cnn3,
             mean_pool, max_pool, penultimate) = mmodels.define_model(
                x, is_training, MODEL_NAME, len(mconf.MSD_LABELS))
            taggram = tf.nn.sigmoid(logits)
        fetches = {
            "logits": logits, "taggram": taggram, "penultimate": penultimate,
            "timbral": timbral, "temporal": temporal,
            "midend1": cnn1, "midend2": cnn2, "midend3": cnn3,
            "mean_pool": mean_pool, "max_pool": max_pool,
        }
        for key, (name, shape) in PROBES.items():
            t = graph.get_tensor_by_name(name)
            if tuple(t.shape.as_list()) != shape:
                sys.exit(f"graph probe {key} ({name}) has shape {t.shape}, expected {shape}")
            fetches[key] = t
        variables = tf.compat.v1.global_variables()
        sess = tf.compat.v1.Session(graph=graph)
        # Initialise with random values first so that a silent partial restore
        # would be detected by the comparison below.
        sess.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.train.Saver(var_list=variables).restore(sess, CKPT_PREFIX)

    # --- verify the restore ------------------------------------------------
    reader = tf.compat.v1.train.NewCheckpointReader(CKPT_PREFIX)
    ckpt_shapes = reader.get_variable_to_shape_map()
    training_only = {k for k in ckpt_shapes if "Adam" in k or k.endswith("_power")}
    inference = set(ckpt_shapes) - training_only
    graph_vars = {v.op.name: v for v in variables}
    if set(graph_vars) != inference:
        sys.exit(f"variable mismatch: graph-only {set(graph_vars) - inference}, "
                 f"checkpoint-only {inference - set(graph_vars)}")
    values = dict(zip(graph_vars, sess.run(list(graph_vars.values()))))
    for name, val in values.items():
        ref = reader.get_tensor(name)
        if val.shape != ref.shape or not np.array_equal(val, ref):
            sys.exit(f"restore check FAILED for {name}")
    # Sanity: restored BN statistics are not the initial (0 / 1) values.
    mv = values["batch_normalization_1/moving_variance"]
    if np.allclose(mv, 1.0):
        sys.exit("restore check FAILED: moving_variance still at initial value")
    print(f"restored {len(values)} variables from {CKPT_PREFIX} "
          f"(bit-exact vs checkpoint reader; {len(training_only)} optimizer "
          f"entries ignored)")
    return sess, graph, fetches, values


def check_training_graph_hyperparams():
    """Read the training MetaGraph shipped in the wheel and confirm BN eps."""
    from tensorflow.core.protobuf import meta_graph_pb2
    mg = meta_graph_pb2.MetaGraphDef()
    with open(CKPT_PREFIX + ".meta", "rb") as f:
        mg.ParseFromString(f.read())
    eps = set()
    decay = set()
    for node in mg.graph_def.node:
        if node.op.startswith("FusedBatchNorm") and "gradients" not in node.name:
            eps.add(round(node.attr["epsilon"].f, 7))
        if node.name.endswith("batchnorm/add/y"):
            eps.add(round(node.attr["value"].tensor.float_val[0], 7))
        if node.name.endswith("AssignMovingAvg/decay"):
            decay.add(round(node.attr["value"].tensor.float_val[0], 7))
    print(f"training graph (TF {mg.meta_info_def.tensorflow_version}): "
          f"BN epsilon {sorted(eps)}, moving-average decay {sorted(decay)} "
          f"(momentum {[round(1 - d, 4) for d in sorted(decay)]})")
    if eps != {BN_EPSILON}:
        sys.exit(f"unexpected BN epsilon {eps}")


# --------------------------------------------------------------------------
# 2. weights
# --------------------------------------------------------------------------
def export_weights(values):
    tensors = {}
    meta = {
        "format": "musicnn MSD_musicnn weights, float32, TensorFlow layouts",
        "source": "musicnn 0.1.0 wheel, musicnn/MSD_musicnn checkpoint "
                  "(ISC licence, Music Technology Group, Universitat Pompeu Fabra)",
        "converter": "scripts/convert_musicnn.py",
        "conv_kernel_layout": "[kh(time), kw(mel or feature), in, out]",
        "dense_kernel_layout": "[in, out]; y = x @ kernel + bias",
        "bn_epsilon": str(BN_EPSILON),
        "bn_formula": "(x - moving_mean) / sqrt(moving_variance + eps) * gamma + beta",
        "doc": "scripts/MUSICNN_ARCH.md",
    }
    used = set()
    for tf_scope, ours in LAYER_MAP:
        if tf_scope.startswith("batch_normalization"):
            parts = ["gamma", "beta", "moving_mean", "moving_variance"]
        else:
            parts = ["kernel", "bias"]
        for p in parts:
            tf_name = f"{tf_scope}/{p}"
            arr = np.ascontiguousarray(values[tf_name], dtype=np.float32)
            tensors[f"{ours}.{p}"] = arr
            meta[f"tf:{ours}.{p}"] = tf_name
            used.add(tf_name)
    missing = set(values) - used
    if missing:
        sys.exit(f"variables not exported: {missing}")
    MODEL_OUT.parent.mkdir(parents=True, exist_ok=True)
    save_safetensors(MODEL_OUT, tensors, meta)
    return tensors


# --------------------------------------------------------------------------
# 3. reference data
# --------------------------------------------------------------------------
def make_test_signal():
    """~3.3 s of 16 kHz audio: chord + vibrato tone + chirp + noise bursts."""
    n = int(round(INPUT_SECONDS * SR))
    t = np.arange(n, dtype=np.float64) / SR
    rng = np.random.default_rng(INPUT_SEED)
    y = np.zeros(n)
    # a sustained A-minor-ish chord with slow tremolo
    for f0, a in [(220.0, 0.30), (261.63, 0.20), (329.63, 0.20), (880.0, 0.08)]:
        y += a * np.sin(2 * np.pi * f0 * t) * (0.8 + 0.2 * np.sin(2 * np.pi * 1.5 * t))
    # vibrato tone
    y += 0.12 * np.sin(2 * np.pi * 1200.0 * t + 8.0 * np.sin(2 * np.pi * 5.0 * t))
    # linear chirp 100 Hz -> 6 kHz
    f_start, f_end, dur = 100.0, 6000.0, n / SR
    y += 0.15 * np.sin(2 * np.pi * (f_start * t + 0.5 * (f_end - f_start) / dur * t ** 2))
    # percussive noise bursts every 0.4 s
    burst_len = int(0.08 * SR)
    env = np.exp(-np.arange(burst_len) / (0.015 * SR))
    for start in range(int(0.1 * SR), n - burst_len, int(0.4 * SR)):
        y[start:start + burst_len] += 0.6 * env * rng.standard_normal(burst_len)
    # background noise
    y += 0.01 * rng.standard_normal(n)
    y *= 0.5 / np.max(np.abs(y))
    pcm = np.round(y * 32767.0).astype(np.int16)
    return pcm


def musicnn_logmel(y):
    """musicnn's front end (extractor.batch_data) on an already-16 kHz signal.

    Returns (mel_power [frames, 96] float32, logmel [frames, 96] float32).
    NB: musicnn casts the mel power to float16 before the log; with NumPy
    1.26 ``10000 * float16_array`` is promoted to float32, so the log is
    evaluated in float32 on float16-rounded mel power.
    """
    mel = librosa.feature.melspectrogram(y=y, sr=SR, hop_length=HOP, n_fft=N_FFT,
                                         n_mels=N_MELS).T
    logmel = np.log10(10000 * mel.astype(np.float16) + 1)
    return mel, logmel


def chsum(a):
    a = np.asarray(a)
    if a.ndim == 4:
        a = a[..., 0]
    return a.astype(np.float64).sum(axis=-1).astype(np.float32)


def write_reference(sess, fetches, values):
    REF_DIR.mkdir(parents=True, exist_ok=True)
    wav_path = REF_DIR / "input.wav"
    sf.write(str(wav_path), make_test_signal(), SR, subtype="PCM_16")

    # Front end exactly as musicnn does it (librosa.load at 16 kHz: the file is
    # already 16 kHz so no resampling happens).
    y, sr = librosa.load(str(wav_path), sr=SR)
    assert sr == SR and y.dtype == np.float32
    mel_basis = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS)
    mel, logmel = musicnn_logmel(y)
    # Cross-check against musicnn's own batching function.
    batch, audio_rep = mextractor.batch_data(str(wav_path), N_FRAMES, N_FRAMES)
    if not np.array_equal(audio_rep, logmel):
        sys.exit("logmel differs from musicnn.extractor.batch_data")
    if not np.array_equal(batch[0], logmel[:N_FRAMES]):
        sys.exit("first patch differs from musicnn.extractor.batch_data")
    # Check the mel basis is the one melspectrogram used.
    S = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, center=True,
                            pad_mode="constant")) ** 2
    mel_chk = (mel_basis @ S).T
    rel = np.max(np.abs(mel_chk - mel)) / np.max(np.abs(mel))
    if rel > 1e-5:
        sys.exit(f"mel basis / stft reconstruction mismatch {rel}")

    patches = np.stack([
        logmel[:N_FRAMES],                  # patch 0: musicnn's first patch
        logmel[-N_FRAMES:][::-1] * 0.75,    # patch 1: last window, time-reversed, scaled
    ]).astype(np.float32)

    out = sess.run(fetches, feed_dict={"patches:0": patches})
    ref = {
        "mel_basis": mel_basis.astype(np.float32),
        "logmel": logmel.astype(np.float32),
        "patches": patches,
        "taggram": out["taggram"],
        "logits": out["logits"],
        "penultimate": out["penultimate"],
        "dense_relu": out["dense_relu"],
        "max_pool": out["max_pool"],
        "mean_pool": out["mean_pool"],
        "pooled_bn": out["pooled_bn"],
    }
    for k in ["timbral_f74", "timbral_f77", "temporal_s1", "temporal_s2",
              "temporal_s3", "midend1", "midend2", "midend3"]:
        ref[f"{k}_chsum"] = chsum(out[k])
    ref = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ref.items()}

    # Internal consistency of the probes (guards against wrong tensor names).
    fe = out["frontend"]
    assert np.array_equal(fe, np.concatenate([out["timbral"], out["temporal"]], -1))
    assert np.array_equal(fe[..., :204], out["timbral_f74"])
    mc = out["midend_concat"][..., 0]
    assert np.array_equal(mc[..., :561], fe)
    assert np.array_equal(mc[..., 561:625], out["midend1"][..., 0])
    assert np.allclose(out["max_pool"], mc.max(1)) and np.allclose(out["mean_pool"], mc.mean(1), atol=1e-5)
    pf = out["pooled_flat"]
    assert np.array_equal(pf[:, 0::2], out["max_pool"]) and np.array_equal(pf[:, 1::2], out["mean_pool"])

    meta = {
        "input": "input.wav: 16 kHz mono PCM16, loaded with librosa.load(sr=16000) "
                 "(no resampling), float32 = int16/32768",
        "mel_basis": "librosa.filters.mel(sr=16000, n_fft=512, n_mels=96) "
                     "(Slaney mel scale, slaney norm), [96, 257]",
        "logmel": "musicnn front end: librosa.feature.melspectrogram(y, sr=16000, "
                  "hop_length=256, n_fft=512, n_mels=96) [defaults: hann, center=True, "
                  "pad_mode='constant', power=2] -> .T -> astype(float16) -> "
                  "log10(10000*x+1) in float32; [frames, 96]",
        "patches": "[2,187,96] patch0 = logmel[0:187]; patch1 = 0.75*logmel[-187:][::-1]",
        "taggram": "sigmoid(logits) [2,50]",
        "logits": "dense2 output [2,50]",
        "penultimate": "BN(ReLU(dense1)) [2,200] (musicnn 'penultimate')",
        "dense_relu": "ReLU(dense1), before its BN [2,200]",
        "max_pool": "max over time of the 753-ch mid-end concat [2,753]",
        "mean_pool": "mean over time of the 753-ch mid-end concat [2,753]",
        "pooled_bn": "BN(interleaved [max0,mean0,max1,mean1,...]) [2,1506]",
        "chsum": "*_chsum: per-frame sum over channels of a block output [2,187]",
        "generator": "scripts/convert_musicnn.py",
        "versions": f"tensorflow {tf.__version__}, librosa {librosa.__version__}, "
                    f"numpy {np.__version__}, musicnn 0.1.0",
    }
    save_safetensors(REF_DIR / "reference.safetensors", ref, meta)
    with open(REF_DIR / "tags.json", "w") as f:
        json.dump(list(mconf.MSD_LABELS), f, indent=1)
        f.write("\n")
    return ref, out, y


def crosscheck_with_extractor(wav_path, taggram0, penult0):
    """Run upstream musicnn.extractor on input.wav; its first-patch taggram must
    equal ours (proves our graph/restore match the upstream code path)."""
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        tg, labels, feats = mextractor.extractor(str(wav_path), model=MODEL_NAME,
                                                 extract_features=True)
    err = float(np.max(np.abs(tg[0] - taggram0)))
    perr = float(np.max(np.abs(feats["penultimate"][0] - penult0)))
    print(f"upstream musicnn.extractor first patch: max |taggram diff| = {err:.2e}, "
          f"max |penultimate diff| = {perr:.2e}")
    if err > 1e-5 or list(labels) != list(mconf.MSD_LABELS):
        sys.exit("upstream extractor disagrees with our graph")


def main():
    check_training_graph_hyperparams()
    sess, graph, fetches, values = build_and_restore()
    weights = export_weights(values)
    ref, out, y = write_reference(sess, fetches, values)
    sess.close()
    crosscheck_with_extractor(REF_DIR / "input.wav", ref["taggram"][0], ref["penultimate"][0])

    print(f"\n{MODEL_OUT.relative_to(REPO)}  ({human(MODEL_OUT.stat().st_size)}, "
          f"{sum(v.size for v in weights.values())} parameters)")
    for k, v in weights.items():
        print(f"  {k:42s} {str(list(v.shape)):22s} {human(v.nbytes)}")
    print(f"\n{REF_DIR.relative_to(REPO)}/")
    for p in sorted(REF_DIR.iterdir()):
        print(f"  {p.name:28s} {human(p.stat().st_size)}")
    print(f"  input.wav: {len(y)} samples ({len(y) / SR:.3f} s), peak {np.max(np.abs(y)):.4f}")
    print("  reference.safetensors:")
    for k, v in ref.items():
        print(f"    {k:22s} {str(list(v.shape)):16s} {human(v.nbytes)}")
    top = np.argsort(-ref["taggram"], axis=1)[:, :5]
    for i in range(2):
        tags = ", ".join(f"{mconf.MSD_LABELS[j]} {ref['taggram'][i, j]:.3f}" for j in top[i])
        print(f"  patch {i} top-5: {tags}")


if __name__ == "__main__":
    main()
