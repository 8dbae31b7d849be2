"""Statistics of the results database and what is built from them: numbers.tex, LaTeX tables."""
