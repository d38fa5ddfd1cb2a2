from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from blog.importing import import_post_file


class Command(BaseCommand):
    help = (
        "Import blog posts from Markdown files with YAML front matter. "
        "Give files or folders (every *.md inside is imported). Posts are matched "
        "by slug: running it again updates them instead of adding copies."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="+", type=Path, help="Markdown files or folders."
        )

    def handle(self, *args, paths, **options):
        files = []
        for path in paths:
            if path.is_dir():
                files.extend(sorted(path.glob("*.md")))
            else:
                files.append(path)
        if not files:
            raise CommandError("No Markdown files found.")

        counts = {"created": 0, "updated": 0, "skipped": 0, "error": 0}
        for path in files:
            result = import_post_file(path)
            counts[result.status] += 1
            line = str(result)
            if result.status == "error":
                self.stderr.write(self.style.ERROR(line))
            else:
                self.stdout.write(line)

        summary = ", ".join(f"{count} {status}" for status, count in counts.items())
        if counts["error"]:
            raise CommandError(f"Some files were not imported ({summary}).")
        self.stdout.write(self.style.SUCCESS(f"Done: {summary}."))
