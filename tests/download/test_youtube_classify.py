"""The yt-dlp error classifier on the message texts YouTube and yt-dlp really produce.

Texts are yt-dlp's ``DownloadError`` messages as users report them (``ERROR: [youtube] <id>: ...``),
built from YouTube's playability reasons/subreasons (yt-dlp's ``YoutubeIE`` joins them as
``reason. subreason``), yt-dlp's own texts (``raise_geo_restricted`` default, login hint) and
HTTP failures of the generic extractor and the section downloader.
"""

from __future__ import annotations

import pytest

from avbench.download.youtube import classify_error

LOGIN_HINT = (
    "Use --cookies-from-browser or --cookies for the authentication. See  "
    "https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to manually "
    "pass cookies. Also see  https://github.com/yt-dlp/yt-dlp/wiki/Extractors#exporting-youtube-cookies  "
    "for tips on effectively exporting YouTube cookies"
)

CASES = [
    # unavailable
    ("ERROR: [youtube] XyHm0BmtLHg: Video unavailable", "unavailable"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video is unavailable", "unavailable"),
    ("ERROR: [youtube] abcdefghijk: This video is not available", "unavailable"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video is no longer available", "unavailable"),
    ("ERROR: [youtube:truncated_id] abcdefghij: Incomplete YouTube ID abcdefghij. URL "
     "https://www.youtube.com/watch?v=abcdefghij looks truncated.", "unavailable"),
    ("ERROR: [generic] n404x: Unable to download webpage: HTTP Error 404: Not Found "
     "(caused by <HTTPError 404: Not Found>)", "unavailable"),
    # private
    (f"ERROR: [youtube] abcdefghijk: Private video. Sign in if you've been granted access to this "
     f"video. {LOGIN_HINT}", "private"),
    ("ERROR: [youtube] abcdefghijk: Join this channel to get access to members-only content like "
     "this video, and other exclusive perks.", "private"),
    ("ERROR: [youtube] abcdefghijk: This video is only available to Music Premium members", "private"),
    # removed
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video has been removed by the uploader", "removed"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video is no longer available because "
     "the YouTube account associated with this video has been terminated.", "removed"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video is no longer available because "
     "the uploader has closed their YouTube account.", "removed"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video has been removed for violating "
     "YouTube's Terms of Service", "removed"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This video is no longer available due to a "
     "copyright claim by Example Records", "removed"),
    # geo-blocked
    ("ERROR: [youtube] abcdefghijk: Video unavailable. The uploader has not made this video "
     "available in your country", "geo-blocked"),
    ("ERROR: [youtube] abcdefghijk: The uploader has not made this video available in your country.",
     "geo-blocked"),
    ("ERROR: [youtube] _KzZoZD4y6E: Video unavailable. This video contains content from SME, who "
     "has blocked it in your country on copyright grounds.", "geo-blocked"),
    ("ERROR: abcdefghijk: This video is not available from your location due to geo restriction",
     "geo-blocked"),
    # age-restricted
    ("ERROR: [youtube] M3GgCZFVBIo: Sign in to confirm your age. This video may be inappropriate "
     "for some users.", "age-restricted"),
    (f"ERROR: [youtube] abcdefghijk: Sign in to confirm your age. This video may be inappropriate "
     f"for some users. {LOGIN_HINT}", "age-restricted"),
    # error (transient or not about the video)
    (f"ERROR: [youtube] abcdefghijk: Sign in to confirm you're not a bot. {LOGIN_HINT}", "error"),
    ("ERROR: [youtube] abcdefghijk: Video unavailable. This content isn't available, try again "
     "later. The current session has been rate-limited by YouTube for up to an hour.", "error"),
    ("ERROR: unable to download video data: HTTP Error 403: Forbidden", "error"),
    ("ERROR: [generic] n403x: Unable to download webpage: HTTP Error 403: Forbidden "
     "(caused by <HTTPError 403: Forbidden>)", "error"),
    ("ERROR: [youtube] abcdefghijk: Unable to download API page: HTTP Error 429: Too Many Requests", "error"),
    ("ERROR: [youtube] abcdefghijk: Unable to download webpage: <urlopen error [Errno -3] "
     "Temporary failure in name resolution>", "error"),
    ("ERROR: ffmpeg exited with code 183", "error"),
    ("ERROR: [youtube] abcdefghijk: This live event will begin in a few moments.", "error"),
    ("ValueError: ffmpeg cannot decode the saved file: moov atom not found", "error"),
]  # fmt: skip


@pytest.mark.parametrize(("message", "status"), CASES, ids=[f"{s}-{i}" for i, (_, s) in enumerate(CASES)])
def test_real_messages_classify(message: str, status: str) -> None:
    assert classify_error(message) == status


def test_classifier_ignores_case_and_line_breaks() -> None:
    assert classify_error("ERROR: [youtube] x: PRIVATE\nVIDEO") == "private"
    assert classify_error("Sign in to confirm\tyour age") == "age-restricted"


def test_every_status_but_ok_is_reachable() -> None:
    from avbench.download.manifest import STATUSES

    assert {s for _, s in CASES} == set(STATUSES) - {"ok"}
