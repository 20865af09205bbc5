"""Beijing 12345 hotline demand heat maps by street/township (街乡镇)."""

__version__ = "0.1.0"
