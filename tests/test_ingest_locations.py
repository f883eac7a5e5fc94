"""Locations: metros from spellings and abbreviations, countries, work mode."""

from __future__ import annotations

from typing import Any

import pytest

from newsletter.data.ingest.rules import Rules
from tests.ingest_support import normalized


def place(rules: Rules, location: str | None, **extra: Any) -> dict[str, Any]:
    out = normalized(
        rules, [{"title": extra.pop("title", "Data Engineer"), "location": location, **extra}]
    )
    return out.select("metro", "country", "work_mode", "remote").row(0, named=True)


#: Smaller US metros and UK cities that real postings name often (lukebarousse 2023, HN),
#: the suburbs of listed metros, and the ambiguous names that keep another reading.
_SMALLER_METROS = [
    # smaller US metros real postings name often (lukebarousse 2023), and their suburbs
    ("Columbia, SC", "Columbia SC", "US"),
    ("Columbia, South Carolina", "Columbia SC", "US"),
    ("Lexington, SC", "Columbia SC", "US"),
    ("Albany, NY", "Albany NY", "US"),
    ("Schenectady, NY", "Albany NY", "US"),
    ("Bentonville, AR", "Northwest Arkansas", "US"),
    ("Fayetteville, AR", "Northwest Arkansas", "US"),
    ("Fayetteville, NC", "Fayetteville NC", "US"),
    ("Tallahassee, FL", "Tallahassee", "US"),
    ("Gainesville, FL", "Gainesville FL", "US"),
    ("Harrisburg, PA", "Harrisburg", "US"),
    ("Greenville, SC", "Greenville SC", "US"),
    ("Greer, SC", "Greenville SC", "US"),
    ("Eglin AFB, FL", "Fort Walton Beach", "US"),
    ("Melbourne, FL", "Palm Bay", "US"),
    ("Melbourne, Florida, United States", "Palm Bay", "US"),
    ("Trenton, NJ", "Trenton", "US"),
    ("Dayton, OH", "Dayton", "US"),
    ("Peoria, IL", "Peoria IL", "US"),
    ("Morton, IL", "Peoria IL", "US"),
    ("Worcester, MA", "Worcester MA", "US"),
    ("Shrewsbury, MA", "Worcester MA", "US"),
    ("Syracuse, NY", "Syracuse", "US"),
    ("East Syracuse, NY", "Syracuse", "US"),
    ("Springfield, IL", "Springfield IL", "US"),
    ("Springfield, MA", "Springfield MA", "US"),
    ("Bloomington, IL", "Bloomington IL", "US"),
    ("Bloomington, IN", "Bloomington IN", "US"),
    ("Moline, IL", "Quad Cities", "US"),
    ("Davenport, IA", "Quad Cities", "US"),
    ("Santa Cruz, CA", "Santa Cruz CA", "US"),
    ("Charleston, SC", "Charleston SC", "US"),
    ("North Charleston, SC", "Charleston SC", "US"),
    ("Estero, FL", "Cape Coral", "US"),
    # suburbs of metros already listed
    ("San Leandro, CA", "San Francisco Bay Area", "US"),
    ("Suitland-Silver Hill, MD", "Washington DC", "US"),
    ("Parsippany-Troy Hills, NJ", "New York", "US"),
    ("Mt Laurel Township, NJ", "Philadelphia", "US"),
    ("Newtown Square, PA", "Philadelphia", "US"),
    ("Juno Beach, FL", "Miami", "US"),
    ("Roy, UT", "Salt Lake City", "US"),
    ("Whittier, CA", "Los Angeles", "US"),
    ("Mt Prospect, IL", "Chicago", "US"),
    # the UK: London's boroughs, the larger cities (qualified where a US town shares
    # the name)
    ("Feltham, UK", "London", "GB"),
    ("Cardiff, UK", "Cardiff", "GB"),
    ("Nottingham, UK", "Nottingham UK", "GB"),
    ("York, UK", "York UK", "GB"),
    ("Reading, United Kingdom", "Reading UK", "GB"),
    ("Newcastle upon Tyne, UK", "Newcastle UK", "GB"),
    # ambiguous names keep their other readings, or none
    ("Columbia, MD", "Baltimore", "US"),
    ("Columbia, MO", None, "US"),
    ("Columbia", None, None),
    ("Albany, GA", None, "US"),
    ("Albany", None, None),
    ("Melbourne", "Melbourne Australia", "AU"),
    ("Melbourne, Australia", "Melbourne Australia", "AU"),
    ("Worcester", None, None),
    ("Worcester, UK", None, "GB"),
    ("York, PA", None, "US"),
    ("Reading, PA", None, "US"),
    ("Peoria, AZ", "Phoenix", "US"),
    ("Springfield, VA", "Washington DC", "US"),
    ("Springfield, MO", None, "US"),
    ("Bloomington, MN", "Minneapolis", "US"),
    ("Fayetteville, GA", "Atlanta", "US"),
    ("Lakeland, TN", "Memphis", "US"),
    ("Westborough, MA", "Boston", "US"),
    ("Princeton, NJ", "New York", "US"),
    ("Charleston, WV", None, "US"),
    ("Syracuse, Italy", None, "IT"),
    ("Cambridge, UK", "Cambridge UK", "GB"),
    ("Cambridge, MA", "Boston", "US"),
    ("Milan", "Milan", "IT"),
    ("Geneva", "Geneva Switzerland", "CH"),
]


def test_metro_table_covers_top_us_metros(ingest_rules: Rules) -> None:
    us = [m for m in ingest_rules.metros.metros if m.country == "US"]
    assert len(us) >= 50


@pytest.mark.parametrize(
    ("location", "metro", "country"),
    [
        ("SF", "San Francisco Bay Area", "US"),
        ("San Francisco, CA", "San Francisco Bay Area", "US"),
        ("Bay Area", "San Francisco Bay Area", "US"),
        ("Mountain View, California, United States", "San Francisco Bay Area", "US"),
        ("NYC", "New York", "US"),
        ("New York, NY", "New York", "US"),
        ("Brooklyn, NY", "New York", "US"),
        ("Jersey City, NJ", "New York", "US"),
        ("Seattle, WA", "Seattle", "US"),
        ("Redmond, Washington", "Seattle", "US"),
        ("Cambridge, MA", "Boston", "US"),
        ("Washington, DC", "Washington DC", "US"),
        ("Arlington, VA", "Washington DC", "US"),
        ("Arlington, TX", "Dallas", "US"),
        ("Portland, OR", "Portland", "US"),
        ("Portland, ME", None, "US"),
        ("Paris, France", "Paris", "FR"),
        ("Paris, TX", None, "US"),
        ("Toronto, ON, Canada", "Toronto", "CA"),
        ("London, UK", "London", "GB"),
        ("London, ON", None, "CA"),
        ("Greece", None, "GR"),
        ("Lanham, MD", "Washington DC", "US"),
        ("Chicago, IL; NYC", "Chicago", "US"),
        ("Remote in USA; Brooklyn, NY", "New York", "US"),
        ("Bengaluru, Karnataka, India", "Bengaluru", "IN"),
        ("Smalltown, KS", None, "US"),
        # Queens addresses name the neighbourhood, not the borough (found in real postings)
        ("Jamaica, NY", "New York", "US"),
        ("Flushing, NY", "New York", "US"),
        ("Forest Hills, NY", "New York", "US"),
        # Long Island, Westchester, Rockland: the New York CBSA
        ("Ronkonkoma, NY", "New York", "US"),
        ("Manhasset, NY", "New York", "US"),
        ("Nyack, NY", "New York", "US"),
        # the country, not the Queens neighbourhood
        ("Jamaica", None, "JM"),
        ("Kingston, Jamaica", None, "JM"),
        # the UK's second and third cities, qualified (Birmingham AL, Leeds AL keep theirs)
        ("Birmingham, UK", "Birmingham UK", "GB"),
        ("Birmingham, England, United Kingdom", "Birmingham UK", "GB"),
        ("Leeds, UK", "Leeds UK", "GB"),
        ("Birmingham", "Birmingham", "US"),
        ("Leeds, AL", "Birmingham", "US"),
        ("Remote, OR", None, "US"),
        # a metro's alias before one of its states is the metro; before another, not
        ("Bay Area, CA", "San Francisco Bay Area", "US"),
        ("SF Bay Area, CA", "San Francisco Bay Area", "US"),
        ("Silicon Valley, CA", "San Francisco Bay Area", "US"),
        ("NYC, NY", "New York", "US"),
        ("Research Triangle, NC", "Raleigh", "US"),
        ("Twin Cities, MN", "Minneapolis", "US"),
        ("Bay Area, TX", None, "US"),
        # a town's first word written short is the word in full
        ("Ft. Worth, TX", "Dallas", "US"),
        ("Ft. Meade, MD", "Baltimore", "US"),
        ("Mt. Prospect, IL", "Chicago", "US"),
        ("Mount Laurel, NJ", "Philadelphia", "US"),
        ("Ft Lauderdale, FL", "Miami", "US"),
        ("Helena, MT", None, "US"),
        # Mountain View as the Bay Area writes it short ("Mt. View" is no "Mount View")
        ("Mt. View, CA", "San Francisco Bay Area", "US"),
        ("Mtn View, CA", "San Francisco Bay Area", "US"),
        ("Mt. View", "San Francisco Bay Area", "US"),
        ("Mt. View, MO", None, "US"),
        # " and " between places separates them (SimplifyJobs 2024), not inside a name
        ("San Francisco and Toronto and Vienna", "San Francisco Bay Area", "US"),
        ("Toronto, ON and New York, NY", "Toronto", "CA"),
        ("Port of Spain, Trinidad and Tobago", None, "TT"),
        ("Bosnia and Herzegovina", None, "BA"),
        ("St. John's, Newfoundland and Labrador", None, "CA"),
        ("Saint Vincent and the Grenadines", None, "VC"),
        ("Town and Country, MO", "St. Louis", "US"),
        # a country first, before words that name no place (HN 2026-02)
        ("Remote (US - Most States)", None, "US"),
        ("Germany, anywhere in the south", None, "DE"),
        ("Chile, Santiago Metropolitan", None, "CL"),
        ("Jordan, MN", None, "US"),
        *_SMALLER_METROS,
    ],
)
def test_metro_and_country(
    ingest_rules: Rules, location: str, metro: str | None, country: str
) -> None:
    got = place(ingest_rules, location)
    assert (got["metro"], got["country"]) == (metro, country)


def test_no_alias_names_two_metros(ingest_rules: Rules) -> None:
    """A later metro's alias would silently take an earlier one's (the table is a dict)."""
    seen: dict[str, str] = {}
    for m in ingest_rules.metros.metros:
        for a in {
            " ".join("".join(c if c.isalnum() else " " for c in x.casefold()).split())
            for x in (m.name, *m.aliases)
        }:
            assert seen.setdefault(a, m.name) == m.name, (a, seen[a], m.name)


# International hubs in the spellings postings use: "City, Region, Country" (LinkedIn),
# "City, Country", the local name, with and without accents.
@pytest.mark.parametrize(
    ("location", "metro", "country"),
    [
        ("Edinburgh, Scotland, United Kingdom", "Edinburgh", "GB"),
        ("Edinburgh, UK", "Edinburgh", "GB"),
        ("Manchester, England, United Kingdom", "Manchester UK", "GB"),
        ("Manchester, UK", "Manchester UK", "GB"),
        ("Greater Manchester", "Manchester UK", "GB"),
        ("Bristol, England, United Kingdom", "Bristol UK", "GB"),
        ("Oxford, UK", "Oxford UK", "GB"),
        ("Oxford, England", "Oxford UK", "GB"),
        ("Glasgow, Scotland", "Glasgow", "GB"),
        ("Belfast, Northern Ireland, United Kingdom", "Belfast", "GB"),
        ("Cambridge, England, United Kingdom", "Cambridge UK", "GB"),
        ("Cork, County Cork, Ireland", "Cork", "IE"),
        ("Dublin, County Dublin, Ireland", "Dublin", "IE"),
        ("Stockholm, Stockholm County, Sweden", "Stockholm", "SE"),
        ("Copenhagen, Capital Region of Denmark, Denmark", "Copenhagen", "DK"),
        ("København, Denmark", "Copenhagen", "DK"),
        ("Helsinki, Uusimaa, Finland", "Helsinki", "FI"),
        ("Espoo, Finland", "Helsinki", "FI"),
        ("Oslo, Norway", "Oslo", "NO"),
        ("Madrid, Community of Madrid, Spain", "Madrid", "ES"),
        ("Barcelona, Catalonia, Spain", "Barcelona", "ES"),
        ("Lisbon, Lisbon, Portugal", "Lisbon", "PT"),
        ("Lisboa, Portugal", "Lisbon", "PT"),
        ("Porto, Portugal", "Porto", "PT"),
        ("Warsaw, Masovian Voivodeship, Poland", "Warsaw", "PL"),
        ("Warszawa", "Warsaw", "PL"),
        ("Kraków, Małopolskie, Poland", "Krakow", "PL"),
        ("Krakow, Poland", "Krakow", "PL"),
        ("Wroclaw, Poland", "Wroclaw", "PL"),
        ("Wrocław, Dolnośląskie, Poland", "Wroclaw", "PL"),
        ("Prague, Czechia", "Prague", "CZ"),
        ("Praha, Czech Republic", "Prague", "CZ"),
        ("Vienna, Austria", "Vienna Austria", "AT"),
        ("Vienna, Vienna, Austria", "Vienna Austria", "AT"),
        ("Wien", "Vienna Austria", "AT"),
        ("Budapest, Hungary", "Budapest", "HU"),
        ("Bucharest, Romania", "Bucharest", "RO"),
        ("București, Romania", "Bucharest", "RO"),
        ("Milan, Lombardy, Italy", "Milan", "IT"),
        ("Milano, Italy", "Milan", "IT"),
        ("Rome, Italy", "Rome Italy", "IT"),
        ("Rome, Lazio, Italy", "Rome Italy", "IT"),
        ("Roma, Italy", "Rome Italy", "IT"),
        ("Hamburg, Germany", "Hamburg Germany", "DE"),
        ("Hamburg, Hamburg, Germany", "Hamburg Germany", "DE"),
        ("Frankfurt am Main, Germany", "Frankfurt", "DE"),
        ("Frankfurt, Hesse, Germany", "Frankfurt", "DE"),
        ("Cologne, Germany", "Cologne", "DE"),
        ("Köln, Germany", "Cologne", "DE"),
        ("Stuttgart, Baden-Württemberg, Germany", "Stuttgart", "DE"),
        ("Geneva, Switzerland", "Geneva Switzerland", "CH"),
        ("Genève, Switzerland", "Geneva Switzerland", "CH"),
        ("Geneva, Geneva, Switzerland", "Geneva Switzerland", "CH"),
        ("Lausanne, Vaud, Switzerland", "Lausanne", "CH"),
        ("Zurich, Switzerland", "Zurich", "CH"),
        ("Zürich, Switzerland", "Zurich", "CH"),
        ("Brussels, Brussels Region, Belgium", "Brussels", "BE"),
        ("Bruxelles, Belgium", "Brussels", "BE"),
        ("Rotterdam, South Holland, Netherlands", "Rotterdam", "NL"),
        ("Eindhoven, North Brabant, Netherlands", "Eindhoven", "NL"),
        ("Tallinn, Harju County, Estonia", "Tallinn", "EE"),
        ("Vilnius, Lithuania", "Vilnius", "LT"),
        ("Riga, Latvia", "Riga", "LV"),
        ("Athens, Greece", "Athens Greece", "GR"),
        ("Athens, Attica, Greece", "Athens Greece", "GR"),
        ("Istanbul, Turkey", "Istanbul", "TR"),
        ("İstanbul, Türkiye", "Istanbul", "TR"),
        ("Kyiv, Ukraine", "Kyiv", "UA"),
        ("Kiev, Ukraine", "Kyiv", "UA"),
        ("Belgrade, Serbia", "Belgrade", "RS"),
        ("Sofia, Bulgaria", "Sofia", "BG"),
        ("Dubai, United Arab Emirates", "Dubai", "AE"),
        ("Dubai", "Dubai", "AE"),
        ("Abu Dhabi, Abu Dhabi Emirate, United Arab Emirates", "Abu Dhabi", "AE"),
        ("Riyadh, Saudi Arabia", "Riyadh", "SA"),
        ("Doha, Qatar", "Doha", "QA"),
        ("Cairo, Egypt", "Cairo", "EG"),
        ("Lagos, Nigeria", "Lagos", "NG"),
        ("Nairobi, Nairobi County, Kenya", "Nairobi", "KE"),
        ("Cape Town, Western Cape, South Africa", "Cape Town", "ZA"),
        ("Johannesburg, Gauteng, South Africa", "Johannesburg", "ZA"),
        ("Sandton, South Africa", "Johannesburg", "ZA"),
        ("Tbilisi, Georgia", "Tbilisi", "GE"),
        ("Tbilisi", "Tbilisi", "GE"),
        ("Remote - Tbilisi, Georgia", "Tbilisi", "GE"),
        ("Bengaluru, Karnataka, India", "Bengaluru", "IN"),
        ("Mumbai, Maharashtra, India", "Mumbai", "IN"),
        ("Bombay, India", "Mumbai", "IN"),
        ("Pune, Maharashtra, India", "Pune", "IN"),
        ("Chennai, Tamil Nadu, India", "Chennai", "IN"),
        ("New Delhi, Delhi, India", "Delhi NCR", "IN"),
        ("Delhi, India", "Delhi NCR", "IN"),
        ("Gurgaon, Haryana, India", "Delhi NCR", "IN"),
        ("Gurugram, Haryana, India", "Delhi NCR", "IN"),
        ("Noida, Uttar Pradesh, India", "Delhi NCR", "IN"),
        ("Kolkata, West Bengal, India", "Kolkata", "IN"),
        ("Ahmedabad, Gujarat, India", "Ahmedabad", "IN"),
        ("Tokyo, Japan", "Tokyo", "JP"),
        ("Osaka, Japan", "Osaka", "JP"),
        ("Seoul, South Korea", "Seoul", "KR"),
        ("Beijing, China", "Beijing", "CN"),
        ("Shanghai, China", "Shanghai", "CN"),
        ("Shenzhen, Guangdong, China", "Shenzhen", "CN"),
        ("Hangzhou, Zhejiang, China", "Hangzhou", "CN"),
        ("Hong Kong", "Hong Kong", "HK"),
        ("Hong Kong SAR", "Hong Kong", "HK"),
        ("Hong Kong, Hong Kong SAR", "Hong Kong", "HK"),
        ("Taipei, Taiwan", "Taipei", "TW"),
        ("Taipei City, Taiwan", "Taipei", "TW"),
        ("Kuala Lumpur, Federal Territory of Kuala Lumpur, Malaysia", "Kuala Lumpur", "MY"),
        ("Jakarta, Indonesia", "Jakarta", "ID"),
        ("Manila, Metro Manila, Philippines", "Manila", "PH"),
        ("Makati, Metro Manila, Philippines", "Manila", "PH"),
        ("Ho Chi Minh City, Vietnam", "Ho Chi Minh City", "VN"),
        ("Hanoi, Vietnam", "Hanoi", "VN"),
        ("Bangkok, Thailand", "Bangkok", "TH"),
        ("Melbourne, Victoria, Australia", "Melbourne Australia", "AU"),
        ("Melbourne VIC, Australia", "Melbourne Australia", "AU"),
        ("Melbourne, Australia", "Melbourne Australia", "AU"),
        ("Brisbane, Queensland, Australia", "Brisbane Australia", "AU"),
        ("Brisbane QLD", "Brisbane Australia", "AU"),
        ("Perth, Western Australia, Australia", "Perth Australia", "AU"),
        ("Perth WA, Australia", "Perth Australia", "AU"),
        ("Canberra, Australian Capital Territory, Australia", "Canberra", "AU"),
        ("Sydney, New South Wales, Australia", "Sydney", "AU"),
        ("Auckland, New Zealand", "Auckland", "NZ"),
        ("Wellington, New Zealand", "Wellington NZ", "NZ"),
        ("Wellington, Wellington, New Zealand", "Wellington NZ", "NZ"),
        ("Mexico City, Mexico", "Mexico City", "MX"),
        ("Ciudad de México, CDMX, México", "Mexico City", "MX"),
        ("CDMX", "Mexico City", "MX"),
        ("Guadalajara, Jalisco, Mexico", "Guadalajara", "MX"),
        ("Monterrey, Nuevo León, Mexico", "Monterrey", "MX"),
        ("São Paulo, State of São Paulo, Brazil", "Sao Paulo", "BR"),
        ("Sao Paulo, Brazil", "Sao Paulo", "BR"),
        ("São Paulo", "Sao Paulo", "BR"),
        ("Rio de Janeiro, Brazil", "Rio de Janeiro", "BR"),
        ("Buenos Aires, Argentina", "Buenos Aires", "AR"),
        ("Santiago, Chile", "Santiago Chile", "CL"),
        ("Santiago, Santiago Metropolitan Region, Chile", "Santiago Chile", "CL"),
        ("Bogotá, D.C., Capital District, Colombia", "Bogota", "CO"),
        ("Bogota, Colombia", "Bogota", "CO"),
        ("Medellín, Antioquia, Colombia", "Medellin", "CO"),
        ("Medellin, Colombia", "Medellin", "CO"),
        ("Lima, Peru", "Lima Peru", "PE"),
        ("Montevideo, Uruguay", "Montevideo", "UY"),
        ("Edmonton, AB", "Edmonton", "CA"),
        ("Edmonton, Alberta, Canada", "Edmonton", "CA"),
        ("Sherwood Park, AB", "Edmonton", "CA"),
        ("Quebec City, QC", "Quebec City", "CA"),
        ("Québec, Quebec, Canada", "Quebec City", "CA"),
        ("Lévis, QC", "Quebec City", "CA"),
        ("Halifax, Nova Scotia, Canada", "Halifax", "CA"),
        ("Victoria, BC", "Victoria BC", "CA"),
        ("Victoria, British Columbia, Canada", "Victoria BC", "CA"),
        ("Saanich, BC", "Victoria BC", "CA"),
        ("Winnipeg, Manitoba, Canada", "Winnipeg", "CA"),
        ("Winnipeg, MB", "Winnipeg", "CA"),
    ],
)
def test_international_hubs(
    ingest_rules: Rules, location: str, metro: str | None, country: str
) -> None:
    got = place(ingest_rules, location)
    assert (got["metro"], got["country"]) == (metro, country)


# Names shared by a US town (or a member city of a US metro) keep the result they had
# before the international hubs were added (captured on main) with their state; written
# alone, a name whose US namesake is a suburb or a small town is the hub abroad ("Hamburg"
# in an HN posting is Hamburg, Germany, not Hamburg, NY in Buffalo's suburbs), and a name a
# US hub bears too keeps its US reading (Birmingham) or none (Cambridge).
@pytest.mark.parametrize(
    ("location", "metro", "country"),
    [
        ("Athens", "Athens Greece", "GR"),
        ("Athens, GA", None, "US"),
        ("Athens, Georgia", None, "US"),
        ("Athens, AL", "Huntsville", "US"),
        ("Rome", "Rome Italy", "IT"),
        ("Rome, GA", None, "US"),
        ("Rome, NY", None, "US"),
        ("Vienna", "Vienna Austria", "AT"),
        ("Vienna, VA", "Washington DC", "US"),
        ("Vienna, Virginia", "Washington DC", "US"),
        ("Hamburg", "Hamburg Germany", "DE"),
        ("Hamburg, NY", "Buffalo", "US"),
        ("Remote; Hamburg", "Hamburg Germany", "DE"),  # HN 2026-02
        ("Brisbane", "Brisbane Australia", "AU"),
        ("Brisbane, CA", "San Francisco Bay Area", "US"),
        ("Wellington", "Wellington NZ", "NZ"),
        ("Wellington, FL", "Miami", "US"),
        ("Melbourne", "Melbourne Australia", "AU"),
        ("Melbourne, FL", "Palm Bay", "US"),
        ("Melbourne, Florida", "Palm Bay", "US"),
        ("Perth", "Perth Australia", "AU"),
        ("Manchester", "Manchester UK", "GB"),
        ("Manchester, NH", "Boston", "US"),
        ("Manchester, CT", "Hartford", "US"),
        ("Birmingham", "Birmingham", "US"),
        ("Birmingham, AL", "Birmingham", "US"),
        ("Birmingham, MI", "Detroit", "US"),
        ("Cambridge", None, None),
        ("Cambridge, MA", "Boston", "US"),
        ("Cambridge, ON", "Waterloo", "CA"),
        ("Richmond", "Richmond", "US"),
        ("Richmond, VA", "Richmond", "US"),
        ("Richmond, CA", "San Francisco Bay Area", "US"),
        ("Richmond, BC", "Vancouver", "CA"),
        ("Hamilton", "Cincinnati", "US"),
        ("Hamilton, OH", "Cincinnati", "US"),
        ("Hamilton, ON", None, "CA"),
        ("Dublin", "Dublin", "IE"),
        ("Dublin, OH", "Columbus", "US"),
        ("Dublin, CA", "San Francisco Bay Area", "US"),
        ("Paris", "Paris", "FR"),
        ("Paris, TX", None, "US"),
        ("Victoria", None, None),
        ("Victoria, TX", None, "US"),
        ("Bristol", "Bristol UK", "GB"),
        ("Bristol, CT", "Hartford", "US"),
        ("Bristol, TN", None, "US"),
        ("Oxford", "Oxford UK", "GB"),
        ("Oxford, MS", None, "US"),
        ("Lima", "Lima Peru", "PE"),
        ("Lima, OH", None, "US"),
        ("Geneva", "Geneva Switzerland", "CH"),
        ("Geneva, IL", None, "US"),
        ("Santiago", None, None),
        ("London, ON", None, "CA"),
        ("London, KY", None, "US"),
        ("Portland", "Portland", "US"),
        ("Portland, ME", None, "US"),
        ("Vancouver, WA", "Portland", "US"),
        ("Sydney, Nova Scotia", None, "CA"),
        ("Georgia", None, "US"),
        ("Georgia, USA", None, "US"),
        ("Atlanta, Georgia", "Atlanta", "US"),
        ("Quebec", None, "CA"),
        ("Quebec, Canada", None, "CA"),
        ("Dartmouth", None, None),
        ("Columbia, MD", "Baltimore", "US"),
    ],
)
def test_shared_names_keep_their_reading(
    ingest_rules: Rules, location: str, metro: str | None, country: str | None
) -> None:
    got = place(ingest_rules, location)
    assert (got["metro"], got["country"]) == (metro, country)


@pytest.mark.parametrize(
    ("location", "metro", "country"),
    [
        # ", IN" is Indiana, not the noise word "in" (it was dropped, and the city read alone)
        ("Warsaw, IN", None, "US"),
        ("Bloomington, IN", "Bloomington IN", "US"),
        ("Richmond, IN", None, "US"),
        ("Hammond, IN", "Chicago", "US"),
        ("Indianapolis, IN", "Indianapolis", "US"),
        ("Remote in USA", None, "US"),
        # a city alone is read only in the country the place names
        ("Portland, Dorset, England", None, "GB"),
        ("Boston, Lincolnshire, UK", None, "GB"),
        ("Vancouver, Washington State, USA", None, "US"),
        # the first place that resolves is the metro, and its country the country
        ("Barcelona, Spain; Seattle, USA", "Barcelona", "ES"),
        # a two-letter code that is a region's and a country's both (CA: California or
        # Canada; DE, IN, CO, IL...): the country a place names is its last part's when that
        # part is not its region; a region code ending a chain of towns is the state, unless
        # the city is a metro of the country the code names.
        # "Town, Town, ST", "City, County, ST", "Neighbourhood, City, ST": the state
        ("West Redlands, Redlands, CA", "Riverside", "US"),
        ("SoMa, San Francisco, CA", "San Francisco Bay Area", "US"),
        ("Mission District, San Francisco, CA, USA", "San Francisco Bay Area", "US"),
        ("Brooklyn, Kings County, NY", "New York", "US"),
        ("Newark, New Castle County, DE", "Philadelphia", "US"),
        ("Fishers, Hamilton County, IN", "Indianapolis", "US"),
        # Canada's provinces and territories are all listed: without one, CA is California
        ("Smalltown, Smallcounty, CA", None, "US"),
        ("Richmond, CA", "San Francisco Bay Area", "US"),
        ("Smalltown, CA", None, "US"),
        # a province before it: Canada
        ("Toronto, ON, CA", "Toronto", "CA"),
        ("Vancouver, BC, CA", "Vancouver", "CA"),
        ("London, ON, CA", None, "CA"),
        ("Whitehorse, YT, CA", None, "CA"),
        # the city is a metro of the country the code names, and no town of the state
        ("Montreal, CA", "Montreal", "CA"),
        ("Toronto, CA", "Toronto", "CA"),
        ("Kanata, Ottawa, CA", "Ottawa", "CA"),
        ("Berlin, DE", "Berlin", "DE"),
        ("Munich, Bavaria, DE", "Munich", "DE"),
        ("Bengaluru, IN", "Bengaluru", "IN"),
        # a country whose regions are not listed: "City, Region, XX" is how boards write it
        ("Smalltown, Bavaria, DE", None, "DE"),
        # the last part names the country; the region code before it is that country's
        ("Ispra, VA, Italy", None, "IT"),
        ("Bogota, DC, CO", None, "CO"),
        # state codes that are noise words too: kept, never dropped (the city read alone)
        ("Salem, OR", None, "US"),
        ("Stillwater, OK", None, "US"),
        ("Tulsa, OK", "Tulsa", "US"),
        # every country of ISO 3166-1 by its names (real postings: the Bahamas, Cyprus,
        # Guam, Kazakhstan, Malta...); a code that is a US state's too, or a word, names the
        # state, or nothing, never the country
        ("The Bahamas", None, "BS"),
        ("Limassol, Cyprus", None, "CY"),
        ("Hagåtña, Guam", None, "GU"),
        ("Astana, Kazakhstan", None, "KZ"),
        ("Kinshasa, Democratic Republic of the Congo", None, "CD"),
        ("Valletta, Malta", None, "MT"),
        ("Tirana, Albania", None, "AL"),
        ("Panama City, Panama", None, "PA"),
        ("Panama City, FL", None, "US"),
        ("Helena, MT", None, "US"),
        ("Billings, Yellowstone, MT", None, "US"),
        ("Hoover, AL", "Birmingham", "US"),
        ("Scranton, Lackawanna, PA", None, "US"),
        ("NA", None, None),
        # ... and before a ZIP code
        ("Eugene, OR 97401", None, "US"),
        ("Salem, OR 97301 (Remote)", None, "US"),
        ("Stillwater, OK 74074-1234", None, "US"),
        ("Warsaw, IN 46580", None, "US"),
        ("Portland, OR 97201", "Portland", "US"),
        ("Portland, ME 04101", None, "US"),
    ],
)
def test_place_country_and_state_codes(
    ingest_rules: Rules, location: str, metro: str | None, country: str
) -> None:
    got = place(ingest_rules, location)
    assert (got["metro"], got["country"]) == (metro, country)


@pytest.mark.parametrize(
    ("location", "metro", "country", "mode"),
    [
        # a US state after a work mode stands where a city's state stands: the state, never
        # the word ("or", "in", "ok") nor the country sharing its code (India, Germany...)
        ("Remote, OR", None, "US", "remote"),
        ("Remote - OR", None, "US", "remote"),
        ("Remote (OR)", None, "US", "remote"),
        ("Remote: OR", None, "US", "remote"),
        ("Remote, IN", None, "US", "remote"),
        ("Remote - IN", None, "US", "remote"),
        ("Remote, ME", None, "US", "remote"),
        ("Remote - OK", None, "US", "remote"),
        ("Remote, DE", None, "US", "remote"),
        ("Remote, CA", None, "US", "remote"),
        ("Hybrid - CO", None, "US", "hybrid"),
        ("Remote, Georgia", None, "US", "remote"),
        ("Portland, OR", "Portland", "US", "onsite"),
        ("Remote - Portland, OR", "Portland", "US", "remote"),
        ("Salem, OR", None, "US", "onsite"),
        ("Warsaw, IN", None, "US", "onsite"),
        # unchanged: a province's code that is a country's too, a country, a metro's alias,
        # a work mode alone, "or" between two modes
        ("Remote, NL", None, "NL", "remote"),
        ("Remote, India", None, "IN", "remote"),
        ("Remote, Germany", None, "DE", "remote"),
        ("Remote, NY", "New York", "US", "remote"),
        ("Remote - DC", "Washington DC", "US", "remote"),
        ("Remote, ON", None, "CA", "remote"),
        ("Remote - London", "London", "GB", "remote"),
        ("Tbilisi, Georgia", "Tbilisi", "GE", "onsite"),
        # a slash separates places as " / " does, unspaced too: the state code that is a
        # word stays the state, two places are two (found in real postings: HN, Google Jobs)
        ("Salem, OR/Remote", None, "US", "remote"),
        ("Warsaw, IN/Hybrid", None, "US", "hybrid"),
        ("Remote/Tulsa, OK", "Tulsa", "US", "remote"),
        ("NYC/SF", "New York", "US", "onsite"),
        ("New York, NY/San Francisco, CA", "New York", "US", "onsite"),
        ("Sancaktepe/İstanbul, Türkiye", "Istanbul", "TR", "onsite"),
        ("Remote (US/Canada)", None, "US", "remote"),
        ("Dallas/Fort Worth", "Dallas", "US", "onsite"),
        # "in the" names no place, nor Google Jobs' count of the other places
        ("Remote in the US", None, "US", "remote"),
        ("Anywhere within the United States", None, "US", "remote"),
        ("Remote in the UK", None, "GB", "remote"),
        ("Texas (+2 others)", None, "US", "unknown"),
        ("San Jose, CA (+7 others)", "San Francisco Bay Area", "US", "onsite"),
        ("The Woodlands, TX", "Houston", "US", "onsite"),
        ("Amsterdam, The Netherlands", "Amsterdam", "NL", "onsite"),
        # ... but a rate is no two places
        ("Austin, TX (remote 2 days/week)", "Austin", "US", "hybrid"),
        ("Austin, TX (2 days/wk remote)", "Austin", "US", "hybrid"),
        ("Remote or hybrid", None, None, "hybrid"),
        ("Remote or Hybrid, Portland, OR", "Portland", "US", "hybrid"),
        ("Remote, or hybrid", None, None, "hybrid"),
    ],
)
def test_state_code_after_a_work_mode(
    ingest_rules: Rules, location: str, metro: str | None, country: str | None, mode: str
) -> None:
    got = place(ingest_rules, location)
    assert (got["metro"], got["country"], got["work_mode"]) == (metro, country, mode)


@pytest.mark.parametrize(
    ("location", "extra", "mode"),
    [
        ("Remote", {}, "remote"),
        ("Remote - US", {}, "remote"),
        ("Anywhere", {}, "remote"),
        ("San Francisco, CA (Hybrid)", {}, "hybrid"),
        ("Austin, TX", {}, "onsite"),
        ("Albany, OR", {}, "onsite"),  # a town and its state (OR was dropped as "or")
        (None, {}, "unknown"),
        ("Austin, TX", {"remote": "True"}, "remote"),
        ("Austin, TX", {"remote": "false"}, "onsite"),
        ("Austin, TX", {"work_mode": "hybrid"}, "hybrid"),
        ("Austin, TX", {"title": "Data Engineer (Remote)"}, "remote"),
        (None, {"title": "HYBRID Data Engineer"}, "hybrid"),
        (None, {"title": "Data Engineer, REMOTE or Hybrid"}, "hybrid"),
        (None, {"title": "Remoteness Engineer"}, "unknown"),
        # a work mode glued to a word by the export, or said as an adverb (lukebarousse 2023)
        ("Deming, NM", {"title": "Sr Data EngineerRemote"}, "remote"),
        ("Birmingham, AL", {"title": "CIAM Data Analyst (RemoteOPPORTUNITY)"}, "remote"),
        ("Corona, NY", {"title": "Data Analyst - Work From Home Remotely in New York."}, "remote"),
        ("Indianapolis, IN", {"title": "Data Scientist - Working Remotely"}, "remote"),
        (None, {"title": "Senior Data EngineerHybrid"}, "hybrid"),
        (None, {"title": "Remoted Engineer"}, "unknown"),
        ("Denver, CO", {"title": "Remotely Piloted Aircraft Data Analyst"}, "onsite"),
        # a field of work, not where it is done
        ("Denver, CO", {"title": "Remote Sensing Scientist"}, "onsite"),
        (None, {"title": "GIS Analyst - Remote-Sensing"}, "unknown"),
        ("Boston, MA", {"title": "Hybrid Cloud Engineer"}, "onsite"),
        (None, {"title": "Remote Sensing Scientist (Remote)"}, "remote"),
        (None, {"title": "Hybrid Cloud Architect - Hybrid"}, "hybrid"),
        (None, {"title": "HYBR\u0130D Engineer"}, "unknown"),  # lowercase: "hybri\u0307d"
        # a negated remote is on site, wherever it is said
        ("Not remote - Austin, TX", {}, "onsite"),
        ("Berlin (no remote)", {}, "onsite"),
        # a city with its country named is a place of work, in two parts or more
        ("Bhopal, India", {}, "onsite"),
        ("Bhopal, Madhya Pradesh, India", {}, "onsite"),
        ("Boston, Lincolnshire, UK", {}, "onsite"),
        ("India", {}, "unknown"),
        # a remark in parentheses yields to what the text says outside them: the work mode
        # of another role ("Designer Remote") is not the posting's
        (None, {"work_mode": "Onsite (Designer Remote)"}, "onsite"),
        (None, {"work_mode": "On-site [remote for the design role]"}, "onsite"),
        (None, {"work_mode": "Office (remote possible"}, "onsite"),
        (None, {"work_mode": "Remote (US)"}, "remote"),
        (None, {"work_mode": "Remote (onsite in NYC once a quarter)"}, "remote"),
        (None, {"work_mode": "Hybrid (2 days remote)"}, "hybrid"),
        (None, {"work_mode": "(Remote)"}, "remote"),
        # a title names one role: its remarks are its own
        (None, {"title": "RA/QA Data Analyst (Hybrid: Sunnyvale, CA) W2 Only - Remote"}, "hybrid"),
        ("Onsite - NYC (remote for designers)", {}, "onsite"),
        ("London (Remote)", {}, "remote"),
        (None, {"work_mode": "Not Remote"}, "onsite"),
        (None, {"work_mode": "non-remote"}, "onsite"),
        (None, {"remote": "Not remote"}, "onsite"),
        (None, {"remote": "No remote"}, "onsite"),
        (None, {"title": "Data Engineer (Not Remote)"}, "onsite"),
        ("Remote", {"title": "Data Engineer - non-remote"}, "onsite"),
        # remote part of the time is hybrid, wherever it is said; all of it stays remote
        ("Anywhere", {"title": "Data Scientist III (50% REMOTE) Jobs"}, "hybrid"),
        ("Austin, TX", {"title": "Data Engineer - 3 days remote"}, "hybrid"),
        ("Austin, TX (50% remote)", {}, "hybrid"),
        ("Austin, TX", {"work_mode": "Remote 2 days/week"}, "hybrid"),
        (None, {"work_mode": "60% remote"}, "hybrid"),
        (None, {"remote": "50% remote"}, "hybrid"),
        ("Austin, TX", {"title": "Data Engineer - 100% Remote"}, "remote"),
        ("Austin, TX", {"title": "Data Engineer (5 days remote)"}, "remote"),
        (None, {"title": "Data Scientist - Hybrid (95% Remote)"}, "hybrid"),
        # a town of Oregon named Remote: read as remote work, as the word says
        ("Remote, OR", {}, "remote"),
    ],
)
def test_work_mode(
    ingest_rules: Rules, location: str | None, extra: dict[str, Any], mode: str
) -> None:
    got = place(ingest_rules, location, **extra)
    assert got["work_mode"] == mode
    assert got["remote"] is (mode == "remote")


def test_remote_country_and_country_column(ingest_rules: Rules) -> None:
    assert place(ingest_rules, "Remote - US")["country"] == "US"
    assert place(ingest_rules, "Anywhere", country="United States")["country"] == "US"
    assert place(ingest_rules, None, country="de")["country"] == "DE"
    # Google Jobs' name of North Macedonia (lukebarousse 2023: no country)
    assert place(ingest_rules, "Anywhere", country="Macedonia (FYROM)")["country"] == "MK"
