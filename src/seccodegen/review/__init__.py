"""Review: label samples by hand and measure the judge against people."""
