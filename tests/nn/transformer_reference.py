# Reference values for tests/nn/test_attention.cpp and tests/nn/test_transformer.cpp, computed once
# with Debian's torch 1.13 in float64 and committed as literals:
#   /usr/bin/python3 tests/nn/transformer_reference.py attention > tests/nn/attention_values.inc
#   /usr/bin/python3 tests/nn/transformer_reference.py transformer > tests/nn/transformer_values.inc
# Each part also writes the float64 state_dicts of its small seeded PyTorch models (every parameter
# perturbed from its initial value, so that zero biases and unit norms hide nothing) with
# numpy.savez as tests/io/files/pytorch_<model>.npz, which the C++ tests load with io::load.
# Inputs are closed-form: filled(shape, a, b, c)[k] = a·sin(b·k + c) (sine_filled in C++); the
# gradients are those of sum(output · cos(0.37 k)) (cosine_upstream), with dropout 0.
import os
import sys

import numpy
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from reference_values import emit, filled, upstream  # noqa: E402
from pytorch_state_dict import FILES  # noqa: E402

torch.set_default_dtype(torch.float64)


def emit_list(name, ts):
    rows = ", ".join("{" + ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist()) + "}" for t in ts)
    print(f"const std::vector<std::vector<double>> {name} = {{{rows}}};")


def saved(model, name, seed):
    """`model` with every parameter perturbed (seeded), its state_dict written to pytorch_<name>.npz
    and its keys printed."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    numpy.savez(os.path.join(FILES, f"pytorch_{name}.npz"), **{k: v.numpy() for k, v in model.state_dict().items()})
    print(f"const std::vector<std::string> {name}_keys = {{" + ", ".join(f'"{k}"' for k in model.state_dict()) + "};")
    return model


def report(name, model, outputs, inputs):
    """Values of `outputs`, and the gradients of sum(output · upstream) over them with respect to each
    of `inputs` (name_d<input>) and to the parameters in named_parameters order (name_dparams)."""
    for i, y in enumerate(outputs):
        emit(name if i == 0 else f"{name}_weights", y)
    params = list(model.parameters())
    grads = torch.autograd.grad(outputs, [t for _, t in inputs] + params, [upstream(y.shape) for y in outputs])
    for (suffix, _), g in zip(inputs, grads):
        emit(f"{name}_d{suffix}", g)
    emit_list(f"{name}_dparams", grads[len(inputs):])


def attention():
    torch.manual_seed(0)  # the modules' own initialisation, before saved() perturbs it
    print("// Written by tests/nn/transformer_reference.py attention (torch 1.13, float64): MultiheadAttention")
    print("// with E = 4, 2 heads, L = 3, S = 4, N = 2 on query filled((3, 2, 4), 1, 0.7, 0.1), key")
    print("// filled((4, 2, 4), 0.9, 0.45, 0.3), value filled((4, 2, 4), 1.1, 0.6, -0.2) (seq-first).")
    packed = saved(nn.MultiheadAttention(4, 2), "mha_packed", 1)
    q = filled((3, 2, 4), 1.0, 0.7, 0.1).requires_grad_()
    k = filled((4, 2, 4), 0.9, 0.45, 0.3).requires_grad_()
    v = filled((4, 2, 4), 1.1, 0.6, -0.2).requires_grad_()
    qkv = [("query", q), ("key", k), ("value", v)]
    causalish = torch.tensor([[j > i + 1 for j in range(4)] for i in range(3)])  # true: not allowed
    padding = torch.tensor([[False, False, False, False], [False, False, False, True]])

    print("// bool attn_mask (j > i + 1 not allowed), bool key_padding_mask (key 3 of batch entry 1),")
    print("// weights averaged over heads")
    out, w = packed(q, k, v, key_padding_mask=padding, attn_mask=causalish)
    report("mha_bool_masks", packed, [out, w], qkv)

    print("// float 3-D attn_mask filled((4, 3, 4), 0.5, 0.8, 0.3), the same bool key_padding_mask,")
    print("// weights per head (average_attn_weights=False)")
    out, w = packed(q, k, v, key_padding_mask=padding, attn_mask=filled((4, 3, 4), 0.5, 0.8, 0.3),
                    average_attn_weights=False)
    report("mha_float_mask", packed, [out, w], qkv)

    print("// float key_padding_mask filled((2, 4), 0.7, 1.1, 0.4), need_weights=False")
    out, w = packed(q, k, v, key_padding_mask=filled((2, 4), 0.7, 1.1, 0.4), need_weights=False)
    assert w is None
    report("mha_float_padding", packed, [out], qkv)

    print("// unbatched: query[:, 0], key[:, 0], value[:, 0], bool key_padding_mask (key 1)")
    q1, k1, v1 = (t.detach()[:, 0].clone().requires_grad_() for t in (q, k, v))
    out, w = packed(q1, k1, v1, key_padding_mask=torch.tensor([False, True, False, False]))
    report("mha_unbatched", packed, [out, w], [("query", q1), ("key", k1), ("value", v1)])

    print("// kdim = 3, vdim = 5, batch_first: query filled((2, 3, 4), 1, 0.7, 0.1), key filled((2, 4, 3),")
    print("// 0.9, 0.45, 0.3), value filled((2, 4, 5), 1.1, 0.6, -0.2), the bool attn_mask above")
    separate = saved(nn.MultiheadAttention(4, 2, kdim=3, vdim=5, batch_first=True), "mha_kvdim", 2)
    q = filled((2, 3, 4), 1.0, 0.7, 0.1).requires_grad_()
    k = filled((2, 4, 3), 0.9, 0.45, 0.3).requires_grad_()
    v = filled((2, 4, 5), 1.1, 0.6, -0.2).requires_grad_()
    out, w = separate(q, k, v, attn_mask=causalish)
    report("mha_kvdim", separate, [out, w], [("query", q), ("key", k), ("value", v)])


def layer_options(norm_first, activation):
    return dict(dim_feedforward=6, dropout=0.0, activation=activation, norm_first=norm_first)


CONFIGS = [(False, "relu"), (False, "gelu"), (True, "relu"), (True, "gelu")]


def transformer():
    torch.manual_seed(0)
    print("// Written by tests/nn/transformer_reference.py transformer (torch 1.13, float64): d_model 4,")
    print("// nhead 2, dim_feedforward 6, dropout 0; one set of weights per model type, loaded into each of")
    print("// the four configurations (post-norm relu, post-norm gelu, pre-norm relu, pre-norm gelu).")
    causal = nn.Transformer.generate_square_subsequent_mask(3)

    print("// TransformerEncoderLayer on src filled((3, 2, 4), 1.2, 0.7, 0.1), src_mask causal (float),")
    print("// src_key_padding_mask: key 2 of batch entry 1")
    encoder_layer = saved(nn.TransformerEncoderLayer(4, 2, **layer_options(False, "relu")), "encoder_layer", 3)
    src = filled((3, 2, 4), 1.2, 0.7, 0.1).requires_grad_()
    src_padding = torch.tensor([[False, False, False], [False, False, True]])
    for i, (norm_first, activation) in enumerate(CONFIGS):
        layer = nn.TransformerEncoderLayer(4, 2, **layer_options(norm_first, activation))
        layer.load_state_dict(encoder_layer.state_dict())
        y = layer(src, src_mask=causal, src_key_padding_mask=src_padding)
        report(f"encoder_layer_{i}", layer, [y], [("src", src)])

    print("// TransformerDecoderLayer on tgt filled((3, 2, 4), 1.1, 0.55, 0.2), memory filled((4, 2, 4), 0.8,")
    print("// 0.9, -0.3), tgt_mask causal (float), memory_mask bool (j > i + 1 not allowed),")
    print("// memory_key_padding_mask: key 0 of batch entry 0")
    decoder_layer = saved(nn.TransformerDecoderLayer(4, 2, **layer_options(False, "relu")), "decoder_layer", 4)
    tgt = filled((3, 2, 4), 1.1, 0.55, 0.2).requires_grad_()
    memory = filled((4, 2, 4), 0.8, 0.9, -0.3).requires_grad_()
    memory_mask = torch.tensor([[j > i + 1 for j in range(4)] for i in range(3)])
    memory_padding = torch.tensor([[True, False, False, False], [False, False, False, False]])
    for i, (norm_first, activation) in enumerate(CONFIGS):
        layer = nn.TransformerDecoderLayer(4, 2, **layer_options(norm_first, activation))
        layer.load_state_dict(decoder_layer.state_dict())
        y = layer(tgt, memory, tgt_mask=causal, memory_mask=memory_mask, memory_key_padding_mask=memory_padding)
        report(f"decoder_layer_{i}", layer, [y], [("tgt", tgt), ("memory", memory)])

    print("// TransformerEncoder of 2 layers (gelu, batch_first) with a final LayerNorm on src")
    print("// filled((2, 3, 4), 1.2, 0.7, 0.1), src_key_padding_mask: key 2 of batch entry 1")
    layer = nn.TransformerEncoderLayer(4, 2, batch_first=True, **layer_options(False, "gelu"))
    encoder = saved(nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4), enable_nested_tensor=False), "encoder_2", 5)
    src = filled((2, 3, 4), 1.2, 0.7, 0.1).requires_grad_()
    y = encoder(src, src_key_padding_mask=src_padding)
    report("encoder_2", encoder, [y], [("src", src)])

    print("// Transformer with 1 encoder and 1 decoder layer on src filled((4, 2, 4), 0.8, 0.9, -0.3), tgt")
    print("// filled((3, 2, 4), 1.1, 0.55, 0.2), tgt_mask causal")
    model = saved(nn.Transformer(4, 2, 1, 1, dim_feedforward=6, dropout=0.0), "transformer_1_1", 6)
    src = filled((4, 2, 4), 0.8, 0.9, -0.3).requires_grad_()
    tgt = filled((3, 2, 4), 1.1, 0.55, 0.2).requires_grad_()
    y = model(src, tgt, tgt_mask=causal)
    report("transformer_1_1", model, [y], [("src", src), ("tgt", tgt)])


{"attention": attention, "transformer": transformer}[sys.argv[1]]()
