use super::*;

#[test]
fn tf_same_puts_the_odd_row_after() {
    assert_eq!(tf_same(128), (63, 64));
    assert_eq!(tf_same(64), (31, 32));
    assert_eq!(tf_same(32), (15, 16));
    assert_eq!(tf_same(7), (3, 3));
}

#[test]
fn permute_moves_axes() {
    // shape [2, 3]: transpose.
    let d: Vec<f32> = (0..6).map(|i| i as f32).collect();
    assert_eq!(
        permute(&d, &[2, 3], &[1, 0]),
        vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    );
    // shape [2, 1, 1, 3] with perm [3, 2, 0, 1] → [3, 1, 2, 1]: out[o, 0, k, 0] = in[k, 0, 0, o].
    assert_eq!(
        permute(&d, &[2, 1, 1, 3], &[3, 2, 0, 1]),
        vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    );
}

/// The polyphase temporal convolution equals the plain (burn Conv2d with explicit TF-SAME
/// padding) path, for every phase alignment of T and for T shorter than the kernel.
#[test]
fn polyphase_matches_plain_conv() {
    use burn::tensor::Distribution;
    let device = crate::model::backend::inference_device();
    for k in [128, 64, 32, 7] {
        let mut branch = FrontBranch::new(5, [k, 1], tf_same(k), &device);
        branch.conv.weight = Param::from_tensor(Tensor::random(
            [5, 1, k, 1],
            Distribution::Normal(0.0, 0.1),
            &device,
        ));
        branch.conv.bias = Some(Param::from_tensor(Tensor::random(
            [5],
            Distribution::Normal(0.0, 0.1),
            &device,
        )));
        branch.bn.gamma = Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![1.0f32, -0.5, 2.0, 0.0, -1.5], [5]),
            &device,
        ));
        for t in [1, 2, 3, 4, 5, 9, 63, 64, 65, 128, 187, 190] {
            let x: Tensor<4> =
                Tensor::random([2, 1, t, 11], Distribution::Normal(0.0, 1.0), &device);
            let (top, bottom) = tf_same(k);
            let poly = branch.forward_polyphase(x.clone(), top, bottom);
            let y = branch.bn.forward(relu(branch.conv.forward(x)));
            let plain = y.max_dim(3).reshape([2, 5, t]);
            assert_eq!(poly.dims(), [2, 5, t], "k {k}, T {t}");
            let diff = (poly - plain.clone()).abs().max().into_scalar::<f32>();
            let scale = plain.abs().max().into_scalar::<f32>().max(1.0);
            assert!(diff <= 1e-5 * scale, "k {k}, T {t}: max diff {diff}");
        }
    }
}

#[test]
fn tags_are_fifty_and_distinct() {
    let set: std::collections::BTreeSet<_> = MUSICNN_TAGS.iter().collect();
    assert_eq!(set.len(), MUSICNN_N_TAGS);
    assert_eq!(MUSICNN_TAGS[4], "electronic");
    assert_eq!(FRONTEND_CHANNELS + 3 * MIDEND_FILTERS, MIDEND_CHANNELS);
    assert_eq!(POOLED, 1506);
}
