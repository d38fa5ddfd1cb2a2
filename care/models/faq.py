from django.core.cache import caches
from django.db import models
from django.urls import reverse

from blog.models import Post
from blog.rendering import render_markdown
from care.models.treatments import Treatment
from core.page_cache import ChangesPublicPages, content_key

SELECTED_POSTS_CACHE_KEY = "care-posts-with-questions"
SELECTED_POSTS_CACHE_SECONDS = 60


class FaqGroup(ChangesPublicPages, models.Model):
    """A heading on the FAQ page that gathers related questions."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "FAQ group"

    def __str__(self):
        return self.name


class QuestionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True).select_related("group")


class Question(ChangesPublicPages, models.Model):
    """A frequently asked question and its answer, in a group on the FAQ page."""

    group = models.ForeignKey(
        FaqGroup, on_delete=models.PROTECT, related_name="questions"
    )
    question = models.CharField(max_length=250)
    answer = models.TextField(help_text="Markdown, cleaned like a post's body.")
    answer_html = models.TextField(editable=False, blank=True)
    order = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(default=True)
    posts = models.ManyToManyField(
        Post,
        blank=True,
        related_name="faq_questions",
        help_text="Posts that show this question under the article.",
    )
    treatments = models.ManyToManyField(
        Treatment,
        blank=True,
        related_name="faq_questions",
        help_text="Treatment pages that show this question.",
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["group__order", "group__name", "order", "pk"]

    def __str__(self):
        return self.question

    def save(self, *args, **kwargs):
        self.answer_html = render_markdown(self.answer).html
        super().save(*args, **kwargs)
        forget_posts_with_questions()

    def get_absolute_url(self):
        return reverse("care:faq") + f"#question-{self.pk}"

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        forget_posts_with_questions()
        return result


def posts_with_questions():
    """Ids of the posts that show selected questions, cached briefly.

    Most posts show none, so their pages skip the question query entirely
    and the blog keeps its query budget.
    """
    key = content_key(SELECTED_POSTS_CACHE_KEY)
    ids = caches["local"].get(key)
    if ids is None:
        ids = frozenset(
            Question.objects.published()
            .filter(posts__isnull=False)
            .values_list("posts", flat=True)
        )
        caches["local"].set(key, ids, SELECTED_POSTS_CACHE_SECONDS)
    return ids


def forget_posts_with_questions():
    caches["local"].delete(SELECTED_POSTS_CACHE_KEY)


def faq_structured_data(questions):
    """schema.org FAQPage for the FAQ page."""
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": question.question,
                "acceptedAnswer": {"@type": "Answer", "text": question.answer_html},
            }
            for question in questions
        ],
    }
