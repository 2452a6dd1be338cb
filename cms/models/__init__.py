"""The CMS's page types and image model (one module per kind of page)."""

from cms.models.events import EventIndexPage, EventPage
from cms.models.home import HomeFeaturedStory, HomePage
from cms.models.images import CustomImage, CustomRendition
from cms.models.news import NewsArticlePage, NewsIndexPage
from cms.models.panorama import PanoramaIndexPage, PanoramaPage
from cms.models.standard import StandardPage
from cms.models.stories import StoryIndexPage, StoryOrganisation, StoryPage, StoryWorkgroup

__all__ = [
    "CustomImage",
    "CustomRendition",
    "EventIndexPage",
    "EventPage",
    "HomeFeaturedStory",
    "HomePage",
    "NewsArticlePage",
    "NewsIndexPage",
    "PanoramaIndexPage",
    "PanoramaPage",
    "StandardPage",
    "StoryIndexPage",
    "StoryOrganisation",
    "StoryPage",
    "StoryWorkgroup",
]
