from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.db import connection
from django.db.models import F, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import ListView

from blog import engagement
from blog.forms import CommentForm, LikeForm
from blog.models import Author, Post, PostDailyViews, Topic
from core.models import ClinicProfile
from core.protections import clean_control_characters, rate_limit
from core.structured_data import json_ld

RELATED_POSTS = 3
MAX_QUERY_LENGTH = 2000
MAX_SEARCH_TERMS = 12


def clean_query(value):
    """The search text without control characters (NUL breaks PostgreSQL)."""
    text = clean_control_characters(value, replacement=" ")
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def search(queryset, query):
    """Full-text search on PostgreSQL, a simple word match elsewhere."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector("summary", weight="B", config="english")
            + SearchVector("body", weight="C", config="english")
        )
        search_query = SearchQuery(query, search_type="websearch", config="english")
        return (
            queryset.annotate(document=vector, rank=SearchRank(vector, search_query))
            .filter(Q(document=search_query) | Q(title__icontains=query))
            .order_by("-rank", "-published_at", "-pk")
        )
    for term in query.split()[:MAX_SEARCH_TERMS]:
        queryset = queryset.filter(
            Q(title__icontains=term)
            | Q(summary__icontains=term)
            | Q(body__icontains=term)
        )
    return queryset


class PostListView(ListView):
    """Public posts, newest first, narrowed by ?q= (and by topic or author below)."""

    paginate_by = 10
    template_name = "blog/post_list.html"
    context_object_name = "posts"

    @cached_property
    def query(self):
        return clean_query(self.request.GET.get("q", ""))

    def get_queryset(self):
        posts = Post.objects.published().for_listing().with_comment_count()
        posts = self.narrow(posts)
        return search(posts, self.query) if self.query else posts

    def narrow(self, posts):
        return posts

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            query=self.query,
            topics=Topic.objects.filter(posts__in=Post.objects.published()).distinct(),
            **kwargs,
        )


class TopicDetailView(PostListView):
    template_name = "blog/topic_detail.html"

    @cached_property
    def topic(self):
        return get_object_or_404(Topic, slug=self.kwargs["slug"])

    def narrow(self, posts):
        return posts.filter(topics=self.topic)

    def get_context_data(self, **kwargs):
        return super().get_context_data(topic=self.topic, **kwargs)


class AuthorDetailView(PostListView):
    template_name = "blog/author_detail.html"

    @cached_property
    def author(self):
        return get_object_or_404(Author, slug=self.kwargs["slug"])

    def narrow(self, posts):
        return posts.filter(author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


def detail_queryset():
    return Post.objects.select_related("author", "reviewer").prefetch_related(
        "topics", "references"
    )


def render_post(request, post, *, comment_form=None, preview=False, status=200):
    """The post page; the comment view re-renders it with a form that has errors."""
    topics = list(post.topics.all())
    related = (
        Post.objects.published()
        .filter(topics__in=[topic.pk for topic in topics])
        .exclude(pk=post.pk)
        .distinct()
        .only("title", "slug", "published_at", "summary")[:RELATED_POSTS]
    )
    comments = list(post.comments.approved())
    context = {
        "post": post,
        "topics": topics,
        "related_posts": related if topics else [],
        "comments": comments,
        "comment_form": comment_form or CommentForm(),
        "like_form": LikeForm(),
        "liked": post.pk in engagement.liked_post_ids(request),
        "preview": preview,
        "json_ld": json_ld(
            post.structured_data(settings.SITE_URL, ClinicProfile.current(), topics)
        ),
        "absolute_url": settings.SITE_URL + post.get_absolute_url(),
    }
    return render(request, "blog/post_detail.html", context, status=status)


@require_safe
def post_detail(request, slug):
    post = get_object_or_404(detail_queryset().published(), slug=slug)
    return render_post(request, post)


@require_safe
@staff_member_required
@permission_required("blog.change_post", raise_exception=True)
def post_preview(request, pk):
    """Any post, public or not, as it will look; for the staff who edit posts."""
    post = get_object_or_404(detail_queryset(), pk=pk)
    return render_post(request, post, preview=True)


@require_POST
@rate_limit("comment", "BLOG_COMMENT_RATE")
def comment_create(request, slug):
    post = get_object_or_404(detail_queryset().published(), slug=slug)
    form = CommentForm(request.POST)
    if not form.is_bot():
        if not form.is_valid():
            return render_post(request, post, comment_form=form)
        form.save(post)
    messages.success(
        request,
        "Thank you! Your comment is awaiting moderation and will appear once approved.",
    )
    return redirect(post)


@require_POST
@rate_limit("like", "BLOG_LIKE_RATE")
def post_like(request, slug):
    """Count a like once per browser; a bot gets the same answer, uncounted."""
    post = get_object_or_404(Post.objects.published().only("pk", "slug"), slug=slug)
    wants_json = "application/json" in request.headers.get("Accept", "")
    already_liked = post.pk in engagement.liked_post_ids(request)
    if not already_liked and not LikeForm(request.POST).is_bot():
        Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    likes = Post.objects.values_list("like_count", flat=True).get(pk=post.pk)
    if wants_json:
        response = JsonResponse({"likes": likes, "liked": True})
    else:
        messages.success(request, "Thanks for liking this post.")
        response = redirect(post.get_absolute_url() + "#likes")
    engagement.remember_like(request, response, post)
    return response


@csrf_exempt
@require_POST
def post_view(request, slug):
    """Count a reading of the post; see blog.engagement for what is (not) stored."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return HttpResponse(status=403)
    post = get_object_or_404(Post.objects.published().only("pk"), slug=slug)
    if not engagement.is_bot(request) and engagement.is_first_view_today(request, post):
        Post.objects.filter(pk=post.pk).update(view_count=F("view_count") + 1)
        PostDailyViews.count(post.pk)
    return HttpResponse(status=204)


@require_safe
@cache_control(max_age=60, public=True)
@cache_page(60, cache="local")
def post_counts(request, slug):
    """Likes, views and approved comments, for the counters on cached pages."""
    post = get_object_or_404(
        Post.objects.published().with_comment_count().only("like_count", "view_count"),
        slug=slug,
    )
    return JsonResponse(
        {
            "likes": post.like_count,
            "views": post.view_count,
            "comments": post.comment_count,
        }
    )
