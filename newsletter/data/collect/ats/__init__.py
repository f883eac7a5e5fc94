"""One adapter per ATS kind (endpoint, envelope, paging), in an explicit registry."""

from __future__ import annotations

from newsletter.data.collect.ats.ashby import Ashby
from newsletter.data.collect.ats.base import BoardApi, PagingUnclear, Request
from newsletter.data.collect.ats.greenhouse import Greenhouse
from newsletter.data.collect.ats.lever import Lever
from newsletter.data.collect.ats.recruitee import Recruitee
from newsletter.data.collect.ats.smartrecruiters import SmartRecruiters
from newsletter.data.collect.ats.url import Url
from newsletter.data.collect.ats.workable import Workable

BOARD_APIS: dict[str, BoardApi] = {
    api.kind: api
    for api in (Greenhouse(), Lever(), Ashby(), SmartRecruiters(), Workable(), Recruitee(), Url())
}

__all__ = ["BOARD_APIS", "BoardApi", "PagingUnclear", "Request"]
