from django.views.generic import DetailView, ListView

from blog.models import Post


class PostListView(ListView):
    queryset = Post.objects.published()
    paginate_by = 10


class PostDetailView(DetailView):
    queryset = Post.objects.published()
