import re

from django import forms

from blog.models import Comment

MAX_LINKS_PER_COMMENT = 2
LINK = re.compile(r"https?://|www\.|<a\s|\[[^\]]*\]\(", re.IGNORECASE)
# Comments made of filler such as "mantap", "oke", "uuuu" or "nice post".
FILLER_WORDS = {
    "mantap", "oke", "ok", "okay", "nice", "good", "great", "wow", "cool", "thanks",
    "thank", "you", "thx", "lol", "first", "post", "article", "blog", "info", "mantul",
    "keren", "sip", "gan", "bagus", "yes", "agree", "+1", "amazing", "awesome",
}  # fmt: skip


def is_low_substance(text):
    """True for comments with too little in them to be worth a moderator's time."""
    words = re.findall(r"\w+", text.lower())
    letters = {char for char in text.lower() if char.isalpha()}
    meaningful = [word for word in words if word not in FILLER_WORDS and len(word) > 1]
    return len(words) < 3 or len(letters) < 5 or len(meaningful) < 2


class CommentForm(forms.ModelForm):
    # Hidden from people by CSS; bots that fill every field give themselves away.
    website = forms.CharField(required=False, label="Leave this field empty")
    email = forms.EmailField(
        label="Email (never shown)",
        max_length=254,
        help_text="Used only if we need to reach you about your comment.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta:
        model = Comment
        fields = ["name", "email", "body"]
        labels = {"name": "Your name", "body": "Comment"}
        help_texts = {
            "name": "Shown with your comment. A first name is enough.",
            "body": (
                "Comments are public and moderated. Please do not share personal "
                "medical details; for questions about your care, request a "
                "consultation instead."
            ),
        }
        widgets = {
            "body": forms.Textarea(attrs={"rows": 4}),
            "name": forms.TextInput(attrs={"autocomplete": "given-name"}),
        }

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if LINK.search(name) or "\n" in name or "\r" in name:
            raise forms.ValidationError("Please enter just a name.")
        return name

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if len(LINK.findall(body)) > MAX_LINKS_PER_COMMENT:
            raise forms.ValidationError(
                f"Please include at most {MAX_LINKS_PER_COMMENT} links in a comment."
            )
        return body

    @property
    def is_bot(self):
        return bool(self.cleaned_data.get("website"))

    def save(self, post):
        comment = super().save(commit=False)
        comment.post = post
        if is_low_substance(comment.body):
            comment.status = Comment.Status.JUNK
        comment.save()
        return comment
