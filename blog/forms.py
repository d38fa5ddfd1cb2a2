import re

from django import forms

from blog.models import Comment
from core.protections import BotTrapForm, plain_text, single_line

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


class CommentForm(BotTrapForm, forms.ModelForm):
    """A reader's comment; it waits for moderation (or goes to junk)."""

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
        if LINK.search(name):
            raise forms.ValidationError("Please enter just a name.")
        return single_line(name)

    def clean_body(self):
        body = plain_text(self.cleaned_data["body"].strip())
        if len(LINK.findall(body)) > MAX_LINKS_PER_COMMENT:
            raise forms.ValidationError(
                f"Please include at most {MAX_LINKS_PER_COMMENT} links in a comment."
            )
        return body

    def save(self, post):
        comment = super().save(commit=False)
        comment.post = post
        if is_low_substance(comment.body):
            comment.status = Comment.Status.JUNK
        comment.save()
        return comment


class LikeForm(BotTrapForm):
    """The like button: no fields of its own, only the bot trap."""
