"""Per-CWE plots: whiskers never go negative, even where a Wilson bound rounds past the ratio."""

import pandas as pd

from seccodegen.report.plots import plot_cwe_secure
from seccodegen.report.tables import COORDS


def test_plot_survives_bounds_rounding_past_the_ratio(tmp_path):
    base = dict.fromkeys(COORDS, "-")
    base.update(model="m", method="base", prompt_style="baseline")
    rows = pd.DataFrame([
        # an all-secure CWE whose upper bound came out a hair below 1.0 (as Wilson's formula can)
        {**base, "language": "c", "cwe": "CWE-787", "decided": 30, "secure_ratio": 1.0,
         "secure_ratio_lo": 0.886, "secure_ratio_hi": 0.9999999999999999},
        {**base, "language": "c", "cwe": "CWE-79", "decided": 30, "secure_ratio": 0.0,
         "secure_ratio_lo": 1e-17, "secure_ratio_hi": 0.114},
    ])  # fmt: skip
    paths = plot_cwe_secure(rows, tmp_path)
    assert [p.name for p in paths] == ["cwe_secure_c.png"] and paths[0].stat().st_size > 1000
