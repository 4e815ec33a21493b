"""The JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json): the data behind every page, for other tools too.

Every data endpoint takes the filter `start`, `end` (YYYY-MM-DD, default: the last 30 days of data),
`platform` and `shop` (a code, or codes comma-separated), limited to the user's shops.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from dashboard import kpis, page_data
from dashboard.access import LOCAL_USER, User, verify_password
from dashboard.filters import Filter, ForbiddenShop, Shop, parse_filter
from dashboard.serving_copy import ServingCopy

router = APIRouter(prefix="/api/v1")


def serving_copy(request: Request) -> ServingCopy:
    return request.app.state.serving_copy


def current_user(request: Request) -> User:
    """The user of a request: the proxy's header, the session's login, or (loopback without users) the local user."""
    state = request.app.state
    if state.identity_header:
        name = request.headers.get(state.identity_header)
        if not name:
            raise HTTPException(401, f"no {state.identity_header} header: sign in through the proxy")
        if state.users and name not in state.users:
            raise HTTPException(403, f"user {name!r} is not in the users file")
        return state.users.get(name) or User(name, None, None)
    if state.users:
        user = state.users.get(request.session.get("user", ""))
        if user is None:
            raise HTTPException(401, "sign in first: POST /api/v1/login")
        return user
    return LOCAL_USER


def _shops(copy: ServingCopy) -> list[Shop]:
    return [Shop(**row) for row in copy.rows(
        "select shop_code, platform, shop_name from marts.dim_shops where not is_seller_wide "
        "order by platform, shop_code")]


def _last_date(copy: ServingCopy) -> dt.date | None:
    (row,) = copy.rows(f"select max(date) as date from {kpis.TABLE}")
    return dt.date.fromisoformat(row["date"]) if row["date"] else None


def shops(copy: ServingCopy) -> list[Shop]:
    return copy.derived("shops", _shops)


def last_date(copy: ServingCopy) -> dt.date | None:
    return copy.derived("last_date", _last_date)


UserDep = Annotated[User, Depends(current_user)]
CopyDep = Annotated[ServingCopy, Depends(serving_copy)]


def request_filter(copy: CopyDep, user: UserDep,
                   start: Annotated[str | None, Query(description="first day, YYYY-MM-DD")] = None,
                   end: Annotated[str | None, Query(description="last day, YYYY-MM-DD")] = None,
                   platform: Annotated[str | None, Query(description="taobao, tmall, jd, pdd or douyin")] = None,
                   shop: Annotated[str | None, Query(description="shop code(s), comma-separated")] = None) -> Filter:
    return parse_filter(start, end, platform, shop, shops(copy), last_date(copy), user)


FilterDep = Annotated[Filter, Depends(request_filter)]


def seller_wide(copy: ServingCopy, kpi_filter: Filter, user: User) -> bool:
    """Whether the filter reads every shop for a user who may see them all: the seller-wide SKU marts answer."""
    return user.shops is None and set(kpi_filter.shops) == {s.shop_code for s in shops(copy)}


class Login(BaseModel):
    username: str
    password: str


@router.post("/login", summary="Sign in with a user of the users file; sets the signed session cookie")
def login(credentials: Login, request: Request) -> dict:
    state = request.app.state
    key = (credentials.username, request.client.host if request.client else "")
    wait = state.login_limiter.retry_after(key)
    if wait:
        raise HTTPException(429, f"too many failed logins: try again in {int(wait) + 1} s",
                            headers={"Retry-After": str(int(wait) + 1)})
    user = state.users.get(credentials.username)
    if user is None or not user.password_hash or not verify_password(credentials.password, user.password_hash):
        state.login_limiter.failed(key)
        raise HTTPException(401, "wrong user name or password")
    state.login_limiter.succeeded(key)
    request.session["user"] = user.name
    return {"user": user.name, "shops": sorted(user.shops) if user.shops is not None else None}


@router.post("/logout", summary="Forget the session")
def logout(request: Request) -> dict:
    request.session.clear()
    return {"user": None}


@router.get("/meta", summary="The user, the shops they may see, the data's dates and the publication time")
def meta(copy: CopyDep, user: UserDep) -> dict:
    visible = [shop.__dict__ for shop in shops(copy) if user.may_see(shop.shop_code)]
    dates = copy.derived("dates", lambda c: c.rows(
        f"select min(date) as first_date, max(date) as last_date from {kpis.TABLE}")[0])
    return {"user": user.name, "shops": visible, "platforms": sorted({s["platform"] for s in visible}),
            **dates, "published_at": copy.published_at.isoformat()}


@router.get("/kpis/shop-daily", summary="kpi_shop_daily rows, one per date × shop, columns as in the table")
def shop_daily(copy: CopyDep, kpi_filter: FilterDep) -> list[dict]:
    return kpis.shop_daily(copy, kpi_filter)


@router.get("/summary", summary="Totals of the range (ratios from summed parts) beside the previous period")
def summary(copy: CopyDep, kpi_filter: FilterDep) -> dict:
    return kpis.summary(copy, kpi_filter)


@router.get("/breakdown", summary="Totals per date, platform or shop")
def breakdown(copy: CopyDep, kpi_filter: FilterDep, by: Literal["date", "platform", "shop"] = "date") -> list[dict]:
    return kpis.breakdown(copy, kpi_filter, by)


@router.get("/traffic", summary="流量转化: the funnel and traffic sources")
def traffic(copy: CopyDep, kpi_filter: FilterDep) -> dict:
    return page_data.traffic(copy, kpi_filter)


@router.get("/products", summary="商品: top SKUs and the assortment KPIs per month")
def products(copy: CopyDep, kpi_filter: FilterDep, user: UserDep) -> dict:
    return page_data.products(copy, kpi_filter, seller_wide(copy, kpi_filter, user))


@router.get("/products/skus", summary="商品: the SKU table, searchable by code or name")
def skus(copy: CopyDep, kpi_filter: FilterDep, user: UserDep,
         q: Annotated[str | None, Query(max_length=100, description="part of a SKU code or name")] = None,
         ) -> list[dict]:
    return page_data.sku_sales(copy, kpi_filter, seller_wide(copy, kpi_filter, user), search=q)


@router.get("/inventory", summary="库存: seller-wide stock health on the range's last day")
def inventory(copy: CopyDep, kpi_filter: FilterDep, user: UserDep) -> dict:
    if user.shops is not None:
        raise ForbiddenShop("stock is seller-wide (warehouses serve every shop): not for a user limited to shops")
    return page_data.inventory(copy, kpi_filter)


@router.get("/members", summary="会员: RFM segments, cohort retention, new-buyer and repurchase rates")
def members(copy: CopyDep, kpi_filter: FilterDep) -> dict:
    return page_data.members(copy, kpi_filter)


@router.get("/finance", summary="财务: contribution-profit waterfall and budget attainment")
def finance(copy: CopyDep, kpi_filter: FilterDep) -> dict:
    return page_data.finance(copy, kpi_filter)


@router.get("/alerts", summary="预警: fired alerts, newest first")
def alerts(copy: CopyDep, kpi_filter: FilterDep) -> list[dict]:
    return page_data.alerts(copy, kpi_filter)


@router.get("/screen", summary="大屏: the last day and the one before, provinces, top SKUs, alerts")
def screen(copy: CopyDep, kpi_filter: FilterDep, user: UserDep) -> dict:
    return page_data.screen(copy, kpi_filter, seller_wide(copy, kpi_filter, user))
