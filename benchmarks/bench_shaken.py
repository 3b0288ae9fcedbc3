"""STIR/SHAKEN speed: full verify/sign against raw ECDSA P-256 verify/sign, same run, one core."""

from __future__ import annotations

from ringfence.shaken import bench


def main(quick: bool = False) -> dict[str, float]:
    """Print the four rates and two ratios (goal: both ratios ≥ 0.8) and return them."""
    figures = bench.run(quick=quick)
    print(bench.report(figures))
    return figures


if __name__ == "__main__":
    main()
