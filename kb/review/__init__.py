"""Fair-competition review (公平竞争审查) of draft policies against 《公平竞争审查条例》 arts. 8–11."""
from kb.review.checker import review_clause, review_file, review_text

__all__ = ["review_clause", "review_file", "review_text"]
