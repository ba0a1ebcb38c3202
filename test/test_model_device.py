"""molingo_ros.model.device: ``auto`` and named torch devices, wrong names refused by name."""

from __future__ import annotations

import pytest
import torch

from molingo_ros.model.device import resolve_device


def test_auto_is_cuda_when_there_is_one_else_the_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device().type == expected
    assert resolve_device("auto").type == expected


def test_named_devices():
    assert resolve_device("cpu") == torch.device("cpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda:0") == torch.device("cuda:0")
    else:
        with pytest.raises(ValueError, match="CUDA is not available; use auto or cpu"):
            resolve_device("cuda:0")


def test_an_unknown_device_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid: auto, cpu, cuda, cuda:N"):
        resolve_device("tpu7")
