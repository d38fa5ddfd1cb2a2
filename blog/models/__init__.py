"""The blog's models, one module per kind of row."""

from blog.models.author import Author
from blog.models.comment import Comment
from blog.models.daily import PostDailyViews
from blog.models.post import Post, Reference, validate_post_slug
from blog.models.topic import Topic

__all__ = [
    "Author",
    "Comment",
    "Post",
    "PostDailyViews",
    "Reference",
    "Topic",
    "validate_post_slug",
]
