#!/usr/bin/env python3
"""Convert the pretrained musicnn ``MSD_vgg`` model to safetensors and write
TensorFlow reference outputs for the Rust/burn port (src/model/vgg.rs).

For maintainers only (users and CI never need Python). Run from the
repository root with the venv described in scripts/requirements-musicnn.txt:

    /work/venv/musicnn/bin/python scripts/convert_vgg.py

Outputs
  models/musicnn_msd_vgg.safetensors     all inference weights, float32,
                                         TensorFlow layouts
  tests/fixtures/vgg_ref/reference.safetensors
                                         network references on the two log-mel
                                         patches of tests/fixtures/musicnn_ref/
                                         (the same input as the musicnn test)

The approach is the one of scripts/convert_musicnn.py (whose helpers this
script imports): the graph is built with ``musicnn.models.define_model``, the
checkpoint in the musicnn 0.1.0 wheel is restored explicitly and every variable
is compared bit for bit with the checkpoint reader; BN epsilon is read from the
training MetaGraph; the upstream ``extractor()`` is run once as a cross-check.

MSD_vgg at inference (NHWC in TF, H = time 187, W = mel 96):
  input BN (1 channel)
  5 x [conv 3x3 'same' 128 filters -> ReLU -> BN -> max pool (VALID)]
      pools: [4,1]/[2,2], [2,2]/[2,2], [2,2]/[2,2], [2,2]/[2,2], [4,4]/[4,4]
      shapes: 92x48, 46x24, 23x12, 11x6, 2x1 (time x mel) x 128 channels
  flatten ([B,2,1,128] row-major: flat[t*128 + c]) -> dense 256 -> 50 logits
  -> sigmoid (the dropouts are the identity at inference)
Weight layouts: conv kernels [kh(time), kw(mel), in, out]; dense [in, out].
Batch norm: (x - moving_mean) / sqrt(moving_variance + 1e-3) * gamma + beta.
"""

import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

import musicnn  # noqa: E402
from musicnn import configuration as mconf  # noqa: E402
from musicnn import extractor as mextractor  # noqa: E402
from musicnn import models as mmodels  # noqa: E402

from convert_musicnn import human, save_safetensors  # noqa: E402

tf.compat.v1.disable_eager_execution()
tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)

REPO = Path(__file__).resolve().parent.parent
MODEL_OUT = REPO / "models" / "musicnn_msd_vgg.safetensors"
MUSICNN_REF = REPO / "tests" / "fixtures" / "musicnn_ref"
REF_DIR = REPO / "tests" / "fixtures" / "vgg_ref"

MODEL_NAME = "MSD_vgg"
CKPT_PREFIX = os.path.join(os.path.dirname(musicnn.__file__), MODEL_NAME) + "/"
N_FRAMES = 187
N_MELS = mconf.N_MELS  # 96
FILTERS = 128
BN_EPSILON = 1e-3

# TF variable scope -> our tensor-name prefix, in graph order.
LAYER_MAP = [
    ("batch_normalization", "input_bn"),
    ("1CNN", "conv1.conv"),
    ("batch_normalization_1", "conv1.bn"),
    ("2CNN", "conv2.conv"),
    ("batch_normalization_2", "conv2.bn"),
    ("3CNN", "conv3.conv"),
    ("batch_normalization_3", "conv3.bn"),
    ("4CNN", "conv4.conv"),
    ("batch_normalization_4", "conv4.bn"),
    ("5CNN", "conv5.conv"),
    ("batch_normalization_5", "conv5.bn"),
    ("dense", "dense"),
]

POOL_SHAPES = {
    "pool1": (92, 48), "pool2": (46, 24), "pool3": (23, 12), "pool4": (11, 6), "pool5": (2, 1),
}


def check_training_graph_hyperparams():
    from tensorflow.core.protobuf import meta_graph_pb2
    mg = meta_graph_pb2.MetaGraphDef()
    with open(CKPT_PREFIX + ".meta", "rb") as f:
        mg.ParseFromString(f.read())
    eps = set()
    for node in mg.graph_def.node:
        if node.op.startswith("FusedBatchNorm") and "gradients" not in node.name:
            eps.add(round(node.attr["epsilon"].f, 7))
        if node.name.endswith("batchnorm/add/y"):
            eps.add(round(node.attr["value"].tensor.float_val[0], 7))
    print(f"training graph (TF {mg.meta_info_def.tensorflow_version}): BN epsilon {sorted(eps)}")
    if eps != {BN_EPSILON}:
        sys.exit(f"unexpected BN epsilon {eps}")


def build_and_restore():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, N_MELS], name="patches")
        is_training = tf.compat.v1.placeholder_with_default(False, [], name="is_training")
        with tf.name_scope("model"):
            logits, pool1, pool2, pool3, pool4, pool5 = mmodels.define_model(
                x, is_training, MODEL_NAME, len(mconf.MSD_LABELS))
            taggram = tf.nn.sigmoid(logits)
        fetches = {"logits": logits, "taggram": taggram, "pool1": pool1, "pool2": pool2,
                   "pool3": pool3, "pool4": pool4, "pool5": pool5}
        for k, (t, f) in POOL_SHAPES.items():
            shape = tuple(fetches[k].shape.as_list())
            if shape != (None, t, f, FILTERS):
                sys.exit(f"{k} has shape {shape}, expected (None, {t}, {f}, {FILTERS})")
        variables = tf.compat.v1.global_variables()
        sess = tf.compat.v1.Session(graph=graph)
        sess.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.train.Saver(var_list=variables).restore(sess, CKPT_PREFIX)

    reader = tf.compat.v1.train.NewCheckpointReader(CKPT_PREFIX)
    ckpt = reader.get_variable_to_shape_map()
    training_only = {k for k in ckpt if "Adam" in k or k.endswith("_power")}
    inference = set(ckpt) - training_only
    graph_vars = {v.op.name: v for v in variables}
    if set(graph_vars) != inference:
        sys.exit(f"variable mismatch: graph-only {set(graph_vars) - inference}, "
                 f"checkpoint-only {inference - set(graph_vars)}")
    values = dict(zip(graph_vars, sess.run(list(graph_vars.values()))))
    for name, val in values.items():
        ref = reader.get_tensor(name)
        if val.shape != ref.shape or not np.array_equal(val, ref):
            sys.exit(f"restore check FAILED for {name}")
    if np.allclose(values["batch_normalization_1/moving_variance"], 1.0):
        sys.exit("restore check FAILED: moving_variance still at its initial value")
    print(f"restored {len(values)} variables from {CKPT_PREFIX} (bit-exact vs the checkpoint "
          f"reader; {len(training_only)} optimizer entries ignored)")
    return sess, fetches, values


def export_weights(values):
    tensors = {}
    meta = {
        "format": "musicnn MSD_vgg weights, float32, TensorFlow layouts",
        "source": "musicnn 0.1.0 wheel, musicnn/MSD_vgg checkpoint "
                  "(ISC licence, Music Technology Group, Universitat Pompeu Fabra)",
        "converter": "scripts/convert_vgg.py",
        "conv_kernel_layout": "[kh(time), kw(mel), in, out]",
        "dense_kernel_layout": "[in, out]; y = x @ kernel + bias",
        "bn_epsilon": str(BN_EPSILON),
        "bn_formula": "(x - moving_mean) / sqrt(moving_variance + eps) * gamma + beta",
    }
    used = set()
    for tf_scope, ours in LAYER_MAP:
        parts = (["gamma", "beta", "moving_mean", "moving_variance"]
                 if tf_scope.startswith("batch_normalization") else ["kernel", "bias"])
        for p in parts:
            tf_name = f"{tf_scope}/{p}"
            tensors[f"{ours}.{p}"] = np.ascontiguousarray(values[tf_name], dtype=np.float32)
            meta[f"tf:{ours}.{p}"] = tf_name
            used.add(tf_name)
    if set(values) - used:
        sys.exit(f"variables not exported: {set(values) - used}")
    save_safetensors(MODEL_OUT, tensors, meta)
    return tensors


def write_reference(sess, fetches):
    """The two patches of the musicnn fixture through MSD_vgg. Stored: the outputs, the
    flattened pool5 (the 256-d feature the genre head reads) and, per pooling stage, the mean
    over (time, mel) per channel and the sum over (channel, mel) per time step, which locate
    channel-order and time-axis bugs without storing the 1-4 MB activations."""
    patches = load_file(str(MUSICNN_REF / "reference.safetensors"))["patches"]
    out = sess.run(fetches, feed_dict={"patches:0": patches})
    ref = {
        "logits": out["logits"],
        "taggram": out["taggram"],
        "pool5_flat": out["pool5"].reshape(len(patches), -1),
    }
    for k in ["pool1", "pool2", "pool3", "pool4"]:
        a = out[k].astype(np.float64)
        ref[f"{k}_chmean"] = a.mean(axis=(1, 2))         # [B, 128]
        ref[f"{k}_tsum"] = a.sum(axis=(2, 3))            # [B, T_k]
    ref = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ref.items()}
    meta = {
        "input": "the `patches` tensor [2,187,96] of tests/fixtures/musicnn_ref/reference.safetensors",
        "logits": "dense output [2,50]",
        "taggram": "sigmoid(logits) [2,50]",
        "pool5_flat": "pool5 [B,2,1,128] NHWC flattened row-major: index t*128 + c; [2,256]",
        "poolK_chmean": "mean over time and mel of poolK (after conv, ReLU, BN, max pool) [2,128]",
        "poolK_tsum": "sum over channels and mel of poolK per time step [2,T_K]",
        "generator": "scripts/convert_vgg.py",
        "versions": f"tensorflow {tf.__version__}, numpy {np.__version__}, musicnn 0.1.0",
    }
    REF_DIR.mkdir(parents=True, exist_ok=True)
    save_safetensors(REF_DIR / "reference.safetensors", ref, meta)
    return ref, out


def crosscheck_with_extractor(taggram0, pool5_0):
    """Upstream musicnn.extractor on the musicnn fixture's input.wav: its first patch is the
    fixture's patch 0, so the taggram and pool5 must agree with our graph."""
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        tg, labels, feats = mextractor.extractor(str(MUSICNN_REF / "input.wav"),
                                                 model=MODEL_NAME, extract_features=True)
    err = float(np.max(np.abs(tg[0] - taggram0)))
    perr = float(np.max(np.abs(np.asarray(feats["pool5"]).reshape(-1)[:pool5_0.size]
                               - pool5_0.reshape(-1))))
    print(f"upstream musicnn.extractor first patch: max |taggram diff| = {err:.2e}, "
          f"max |pool5 diff| = {perr:.2e}")
    if err > 1e-5 or perr > 1e-4 or list(labels) != list(mconf.MSD_LABELS):
        sys.exit("upstream extractor disagrees with our graph")


def main():
    check_training_graph_hyperparams()
    sess, fetches, values = build_and_restore()
    weights = export_weights(values)
    ref, out = write_reference(sess, fetches)
    sess.close()
    crosscheck_with_extractor(ref["taggram"][0], out["pool5"][0])
    n_params = sum(v.size for v in weights.values())
    print(f"\n{MODEL_OUT.relative_to(REPO)}  ({human(MODEL_OUT.stat().st_size)}, "
          f"{n_params} parameters)")
    for k, v in weights.items():
        print(f"  {k:24s} {str(list(v.shape)):22s} {human(v.nbytes)}")
    print(f"\n{REF_DIR.relative_to(REPO)}/reference.safetensors  "
          f"({human((REF_DIR / 'reference.safetensors').stat().st_size)})")
    for k, v in ref.items():
        print(f"  {k:16s} {str(list(v.shape)):12s}")
    top = np.argsort(-ref["taggram"], axis=1)[:, :5]
    for i in range(2):
        tags = ", ".join(f"{mconf.MSD_LABELS[j]} {ref['taggram'][i, j]:.3f}" for j in top[i])
        print(f"  patch {i} top-5: {tags}")


if __name__ == "__main__":
    main()
