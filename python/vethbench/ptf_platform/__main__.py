"""``python3 -m vethbench.ptf_platform``: print the directory for ``ptf --platform-dir``."""
from vethbench.ptf_platform import DIR

print(DIR)
