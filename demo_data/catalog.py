"""The seller's world: SKU catalogue, shops with their listings and campaigns, buyers.

Everything is derived from the seed through named sub-generators
(``sub_rng(seed, "catalog")``), so adding a shop never changes the catalogue
and the output never depends on dict/set ordering or the wall clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from . import platforms as P
from . import vocab as V

DAY_SECONDS = 86400
UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

PRODUCTS = 80  # x 2-4 variants = ~240 SKUs
NEW_PRODUCT_SHARE = 0.12  # launched during the generated period
SLOW_PRODUCT_SHARE = 0.08  # listed but barely selling
DISCONTINUED_PRODUCT_SHARE = 0.04  # stocked, listed nowhere
SUPPLY_CONSTRAINED_SHARE = 0.08  # long lead time, small orders: runs out of stock
COST_CHANGE_SHARE = 0.15


def sub_rng(seed: int, *parts: object) -> random.Random:
    """An independent generator for one named part of the world (string seeds hash with SHA-512)."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def day_number(d: date) -> int:
    """Days since 1970-01-01; timestamps are day_number * 86400 + seconds (local time, no zone)."""
    return d.toordinal() - UNIX_EPOCH_ORDINAL


def date_of(day: int) -> date:
    return date.fromordinal(day + UNIX_EPOCH_ORDINAL)


ID_MULTIPLIER = 11_400_714_819_323_198_487  # ends in 7: coprime with 10, so x -> x*M mod 10**d is a bijection
PER_SHOP_KEYS = 10**8  # running numbers per shop: key = shop index * 10**8 + n


def scrambled_digits(key: int, digits: int, salt: int = 0) -> str:
    """A random-looking but unique digit string for ``key`` < 10**digits.

    Two rounds of an affine bijection mod 10**digits with a digit rotation in
    between, so that every digit depends on every digit of the key.
    """
    modulus = 10 ** digits
    offset = salt * 1_000_003_117 + 12_345_678_901
    mixed = str((key * ID_MULTIPLIER + offset) % modulus).zfill(digits)
    rotated = int(mixed[digits // 2:] + mixed[: digits // 2])
    return str((rotated * ID_MULTIPLIER + offset) % modulus).zfill(digits)


def shop_key(shop_index: int, number: int) -> int:
    """Unique key of the ``number``-th thing (order, line, refund, entry) of a shop."""
    return shop_index * PER_SHOP_KEYS + number


@dataclass
class Sku:
    index: int
    code: str  # 商家编码, the cross-platform join key
    title: str
    category: str
    brand: str
    spec: tuple[tuple[str, str], ...]
    launch_day: int
    tag_price: int  # fen
    popularity: float
    costs: list[tuple[int, int]]  # (effective day, cost in fen), ascending
    warehouses: tuple[str, ...]
    supply_constrained: bool
    slow: bool  # listed but barely selling
    discontinued: bool  # in stock, listed nowhere

    @property
    def name(self) -> str:
        return f"{self.title} {' '.join(v for _, v in self.spec)}"

    def cost_on(self, day: int) -> int:
        cost = self.costs[0][1]
        for effective, value in self.costs:
            if effective <= day:
                cost = value
        return cost


@dataclass
class Listing:
    """A SKU as sold by one shop: its platform item id and price there."""

    sku: Sku
    item_id: str
    price: int  # fen
    weight: float
    spec_text: str


@dataclass
class Campaign:
    campaign_id: str
    name: str
    tool: str
    share: float  # of the shop's daily ad budget
    roas: float
    start_day: int


@dataclass
class Shop:
    index: int
    code: str
    platform: str
    name: str
    base_orders: int  # orders on an ordinary day: shop_base_orders(index)
    warehouse: str
    listings: list[Listing] = field(default_factory=list)  # ascending by launch day
    campaigns: list[Campaign] = field(default_factory=list)


def build_catalog(seed: int, start_day: int, days: int) -> list[Sku]:
    """~80 products x 2-4 variants; some launch during the period, some barely sell, some are delisted."""
    rng = sub_rng(seed, "catalog")
    categories = sorted(V.CATEGORIES)
    skus: list[Sku] = []
    for product in range(PRODUCTS):
        category = categories[product % len(categories)]
        nouns, adjectives, dimensions = V.CATEGORIES[category]
        brand = rng.choice(V.BRANDS)
        title = f"{brand} {rng.choice(adjectives)}{rng.choice(nouns)}"
        if days > 1 and rng.random() < NEW_PRODUCT_SHARE:
            launch = start_day + rng.randrange(1, days)
            popularity = rng.uniform(1.0, 3.0)
        else:
            launch = start_day - rng.randrange(20, 500)
            popularity = 1.0 / (1 + product) ** 0.9 * rng.uniform(2.0, 6.0)
        kind = rng.random()
        slow = kind < SLOW_PRODUCT_SHARE
        discontinued = SLOW_PRODUCT_SHARE <= kind < SLOW_PRODUCT_SHARE + DISCONTINUED_PRODUCT_SHARE
        if slow:
            popularity *= 0.01
        low, high = V.PRICE_RANGE[category]
        base_price = rng.randrange(low, high)
        variants = _variants(rng, dimensions, rng.randint(2, 4))
        for spec in variants:
            index = len(skus) + 1
            tag_price = (base_price + rng.choice((0, 0, 10, 20))) * 100
            cost = int(tag_price * rng.uniform(0.25, 0.42))
            costs = [(launch, cost)]
            change_day = start_day + rng.randrange(days)
            if rng.random() < COST_CHANGE_SHARE and change_day > launch:
                costs.append((change_day, int(cost * rng.uniform(0.88, 1.12))))
            skus.append(Sku(
                index=index, code=f"SKU-{index:05d}", title=title, category=category, brand=brand,
                spec=spec, launch_day=launch, tag_price=tag_price,
                popularity=popularity * rng.uniform(0.5, 1.5) / len(variants), costs=costs,
                warehouses=tuple(sorted(rng.sample(V.WAREHOUSES, rng.choice((2, 3))), key=V.WAREHOUSES.index)),
                supply_constrained=rng.random() < SUPPLY_CONSTRAINED_SHARE, slow=slow, discontinued=discontinued,
            ))
    return skus


def _variants(rng: random.Random, dimensions, count: int) -> list[tuple[tuple[str, str], ...]]:
    combos = [()]
    for name, values in dimensions:
        combos = [c + ((name, v),) for c in combos for v in values]
    return rng.sample(combos, min(count, len(combos)))


def shop_base_orders(index: int) -> int:
    """Orders per ordinary day of the shop with this 0-based index (the volume formula)."""
    return 120 + 10 * index


def build_shops(seed: int, count: int, skus: list[Sku], start_day: int, days: int) -> list[Shop]:
    """Shops round-robin over the platforms: tb01, tm01, jd01, pdd01, dy01, tb02, ..."""
    shops = []
    for index in range(count):
        rng = sub_rng(seed, "shop", index)
        platform = P.PLATFORMS[index % len(P.PLATFORMS)]
        number = index // len(P.PLATFORMS) + 1
        brand = V.BRANDS[(number - 1) % len(V.BRANDS)]
        name = P.SHOP_NAME_TEMPLATE[platform].format(brand=brand)
        if number > len(V.BRANDS):
            name += f"{(number - 1) // len(V.BRANDS) + 1}号店"
        shop = Shop(index=index, code=f"{P.SHOP_CODE_PREFIX[platform]}{number:02d}", platform=platform,
                    name=name, base_orders=shop_base_orders(index),
                    warehouse=V.WAREHOUSES[index % len(V.WAREHOUSES)])
        shop.listings = _listings(rng, shop, skus)
        shop.campaigns = _campaigns(rng, shop, start_day, days)
        shops.append(shop)
    return shops


def _listings(rng: random.Random, shop: Shop, skus: list[Sku]) -> list[Listing]:
    categories = set(rng.sample(sorted(V.CATEGORIES), 3))
    lead, digits = P.ITEM_ID_FORMAT[shop.platform]
    template, separator = P.SPEC_STYLE[shop.platform]
    listings = []
    for sku in skus:
        if sku.discontinued or sku.category not in categories or rng.random() > 0.75:
            continue
        price = sku.tag_price * P.PRICE_FACTOR[shop.platform] * rng.uniform(0.95, 1.05)
        listings.append(Listing(
            sku=sku,
            item_id=lead + scrambled_digits(shop_key(shop.index, sku.index), digits - len(lead), salt=1),
            price=max(990, int(price / 100) * 100 + 90),
            weight=sku.popularity * rng.uniform(0.6, 1.4),
            spec_text=separator.join(template.format(k=k, v=v) for k, v in sku.spec),
        ))
    listings.sort(key=lambda listing: (listing.sku.launch_day, listing.sku.index))
    return listings


def _campaigns(rng: random.Random, shop: Shop, start_day: int, days: int) -> list[Campaign]:
    tools = P.AD_TOOLS[shop.platform]
    campaigns = []
    for number in range(rng.randint(3, 5)):
        tool = tools[number % len(tools)]
        category = rng.choice([listing.sku.category for listing in shop.listings] or ["全店"])
        late_start = number == 3 and days > 7  # a campaign launched mid-period
        campaigns.append(Campaign(
            campaign_id=str(rng.randrange(10**8, 10**10)),
            name=f"{category}-{rng.choice(V.CAMPAIGN_PURPOSES)}-{number + 1:02d}",
            tool=tool, share=rng.uniform(0.5, 2.0), roas=rng.uniform(1.2, 5.5),
            start_day=start_day + (rng.randrange(3, days) if late_start else 0),
        ))
    return campaigns


@dataclass(frozen=True)
class Buyer:
    buyer_id: str
    name: str
    phone: str
    province: str
    city: str
    district: str
    street: str


class BuyerPool:
    """Buyers of one platform, identified by a running index.

    Only the count is stored: a buyer's name, phone and address are a pure
    function of (seed, platform, index), so pools of millions cost no memory.
    Phones and ids embed a bijection of the index, hence never collide.
    """

    REPEAT_SHARE = 0.4  # orders placed by an existing buyer
    LOYAL_EVERY = 8  # every 8th buyer is a loyal one, picked more often

    def __init__(self, seed: int, platform: str):
        self.seed = seed
        self.platform = platform
        self.size = 0
        self.salt = 7 + P.PLATFORMS.index(platform)  # one buyer index, different people per platform
        self.profile = lru_cache(maxsize=16_384)(self._profile)

    def pick(self, rng: random.Random) -> int:
        if self.size > 20 and rng.random() < self.REPEAT_SHARE:
            if rng.random() < 0.4:
                return rng.randrange(0, self.size, self.LOYAL_EVERY)
            return rng.randrange(self.size)
        self.size += 1
        return self.size - 1

    def _profile(self, index: int) -> Buyer:
        rng = sub_rng(self.seed, "buyer", self.platform, index)
        name = rng.choice(V.SURNAMES) + "".join(rng.choice(V.GIVEN_NAME_CHARS) for _ in range(rng.choice((1, 2, 2))))
        phone = V.PHONE_PREFIXES[index % len(V.PHONE_PREFIXES)] + scrambled_digits(index, 8, salt=self.salt)
        province, _, cities = rng.choices(V.REGIONS, weights=[r[1] for r in V.REGIONS])[0]
        city = rng.choice(sorted(cities))
        street = (f"{rng.choice(V.ROADS)}{rng.randint(1, 999)}号{rng.choice(V.COMMUNITIES)}"
                  f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室")
        return Buyer(_buyer_id(self.platform, index, rng), name, phone, province, city,
                     rng.choice(cities[city]), street)


def _buyer_id(platform: str, index: int, rng: random.Random) -> str:
    """Taobao 买家会员名 / JD 客户账号; PDD and Douyin have no buyer id (phone identifies)."""
    if platform == "jd":
        return f"jd_{(index * 0x9E3779B1 + 0x5A5A5) % 16**10:010x}"
    return rng.choice(V.NICKNAME_WORDS) + scrambled_digits(index, 8, salt=P.PLATFORMS.index(platform))


def end_of_day(day: int) -> int:
    return day * DAY_SECONDS + DAY_SECONDS - 1


def month_key(day: int) -> str:
    return date_of(day).strftime("%Y-%m")
