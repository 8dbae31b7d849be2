"""What every figure shares: the synthetic-data mark."""

from __future__ import annotations

SYNTHETIC_MARK = "SYNTHETIC DATA"


def mark_synthetic(fig) -> None:
    """A watermark that no crop of the plot area removes: diagonal, across the whole figure."""
    fig.text(0.5, 0.5, SYNTHETIC_MARK, transform=fig.transFigure, fontsize=40, color="red",
             alpha=0.18, ha="center", va="center", rotation=30, zorder=100)
