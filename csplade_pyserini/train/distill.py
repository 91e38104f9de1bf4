"""Distillation losses over each query's own candidates: student scores against teacher scores.

Both take ``student`` and ``teacher`` of shape [Q, C]: column 0 is the query's positive, columns 1..
its sampled negatives (the order does not matter for the KL). Student scores are dot products of
sparse vectors (hundreds for top-k vectors), teacher scores anything (min-max fused scores in [0, 2],
cosines, BM25): each side is divided by its own temperature first, which sets the scale.

* :func:`margin_mse` (Hofstätter et al. 2020): mean over queries and negatives of
  ``((s_pos - s_neg) / T_s - (t_pos - t_neg) / T_t)^2``;
* :func:`listwise_kl`: ``KL(softmax(t / T_t) || softmax(s / T_s))`` over the candidates, mean over
  queries (SPLADE++ / RankDistil style; sentence-transformers' ``SparseDistillKLDivLoss``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def margin_mse(student: torch.Tensor, teacher: torch.Tensor, student_temperature: float = 1.0,
               teacher_temperature: float = 1.0) -> torch.Tensor:
    """Mean squared error between student and teacher margins (positive minus each negative)."""
    s = student / student_temperature
    t = teacher.to(s.dtype) / teacher_temperature
    return ((s[:, :1] - s[:, 1:]) - (t[:, :1] - t[:, 1:])).pow(2).mean()


def listwise_kl(student: torch.Tensor, teacher: torch.Tensor, student_temperature: float = 1.0,
                teacher_temperature: float = 1.0) -> torch.Tensor:
    """KL divergence from the teacher's softmax over the candidates to the student's, mean over queries."""
    log_student = F.log_softmax(student / student_temperature, dim=1)
    log_teacher = F.log_softmax(teacher.to(log_student.dtype) / teacher_temperature, dim=1)
    return F.kl_div(log_student, log_teacher, log_target=True, reduction="batchmean")


def distillation_loss(name: str, student: torch.Tensor, teacher: torch.Tensor, student_temperature: float,
                      teacher_temperature: float) -> torch.Tensor:
    if name == "kl":
        return listwise_kl(student, teacher, student_temperature, teacher_temperature)
    if name == "margin-mse":
        return margin_mse(student, teacher, student_temperature, teacher_temperature)
    raise ValueError(f"unknown distillation loss {name!r}")
