"""Gradient clipping folded into the fused AdamW step equals clipping first, then stepping."""

from __future__ import annotations

import pytest
import torch

from seccodegen.train.optimizer import build_optimizer, clip_gradients


def _model_and_grads(seed: int, grad_size: float) -> tuple[torch.nn.Module, list[torch.Tensor]]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4))
    grads = [torch.randn_like(p) * grad_size for p in model.parameters()]
    return model, grads


def _steps(fused: bool, folded: bool, grad_size: float, max_norm: float) -> list[torch.Tensor]:
    model, grads = _model_and_grads(0, grad_size)
    params = list(model.parameters())
    optimizer = build_optimizer([{"params": params, "weight_decay": 0.01}], lr=1e-2, fused=fused)
    for step in range(3):  # several steps: the moments carry the clipped gradients forward
        for p, g in zip(params, grads):
            p.grad = g.clone() * (step + 1)
        if folded:
            clip_gradients(optimizer, params, max_norm)
        else:
            torch.nn.utils.clip_grad_norm_(params, max_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return [p.detach().clone() for p in params]


@pytest.mark.parametrize("grad_size", [10.0, 1e-3])  # clipped, and below the limit (scale 1)
def test_folded_clip_matches_clip_then_step(grad_size: float) -> None:
    want = _steps(fused=True, folded=False, grad_size=grad_size, max_norm=1.0)
    got = _steps(fused=True, folded=True, grad_size=grad_size, max_norm=1.0)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_folded_clip_sets_the_fused_kernels_scale() -> None:
    model, grads = _model_and_grads(1, 10.0)
    params = list(model.parameters())
    for p, g in zip(params, grads):
        p.grad = g
    optimizer = build_optimizer([{"params": params, "weight_decay": 0.0}], lr=1e-2, fused=True)
    clip_gradients(optimizer, params, 2.0)
    norm = torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads]))
    assert float(optimizer.grad_scale) == pytest.approx(float(norm) / 2.0, rel=1e-5)
    assert all(torch.equal(p.grad, g) for p, g in zip(params, grads))  # not scaled in place


def test_unfused_optimizer_clips_in_place() -> None:
    model, grads = _model_and_grads(2, 10.0)
    params = list(model.parameters())
    for p, g in zip(params, grads):
        p.grad = g.clone()
    optimizer = build_optimizer([{"params": params, "weight_decay": 0.0}], lr=1e-2, fused=False)
    clip_gradients(optimizer, params, 1.0)
    norm = torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in params]))
    assert float(norm) == pytest.approx(1.0, rel=1e-4)
    assert getattr(optimizer, "grad_scale", None) is None
