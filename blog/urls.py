from django.urls import path

from blog import feeds, views

app_name = "blog"
urlpatterns = [
    path("", views.PostListView.as_view(), name="post_list"),
    path("feed/", feeds.LatestPostsFeed(), name="feed"),
    path("feed/atom/", feeds.LatestPostsAtomFeed(), name="feed_atom"),
    path("topic/<slug:slug>/", views.TopicDetailView.as_view(), name="topic_detail"),
    path("topic/<slug:slug>/feed/", feeds.TopicFeed(), name="topic_feed"),
    path("author/<slug:slug>/", views.AuthorDetailView.as_view(), name="author_detail"),
    path("preview/<int:pk>/", views.post_preview, name="post_preview"),
    path("<slug:slug>/", views.post_detail, name="post_detail"),
    path("<slug:slug>/comment/", views.comment_create, name="comment_create"),
    path("<slug:slug>/like/", views.post_like, name="post_like"),
    path("<slug:slug>/view/", views.post_view, name="post_view"),
    path("<slug:slug>/counts/", views.post_counts, name="post_counts"),
]
