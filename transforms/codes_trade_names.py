"""Country and group names as the national trade releases write them -> ISO 3166 alpha-3 or AGG- codes.

Kazakhstan's Bureau writes Russian names (with spellings that change between releases: capitals,
abbreviations, typos such as "остроа"); Kyrgyzstan's Committee has an English column. Every name
found in the five KZ releases and the KG table 4.03.00.18 is listed here (tests check that). Groups are
aggregates with their own ``AGG-`` codes (``WLD`` for the total) so they are never summed with
countries; their scope is the publisher's (KZ "Европа" sits under "rest of the world", i.e. outside
the CIS). A name not listed raises ``UnknownName``: the batch fails with it rather than dropping a figure.
"""

from __future__ import annotations

from transforms.codes import UnknownName
from transforms.lookups import CodeTable

AGGREGATES = {
    "всего": "WLD", "всего в том числе": "WLD", "total": "WLD",
    "страны снг": "AGG-CIS", "cis": "AGG-CIS",
    "страны еаэс": "AGG-EAEU", "eaeu": "AGG-EAEU",
    "страны вне еаэс": "AGG-CIS-NON-EAEU",  # CIS members outside the EAEU
    "остальные страны мира": "AGG-NON-CIS",  # every partner outside the CIS
    "европа": "AGG-EUROPE", "europe": "AGG-EUROPE",
    "страны ес": "AGG-EU", "the eu": "AGG-EU",
    "страны вне ес": "AGG-EUROPE-NON-EU",
    "азия": "AGG-ASIA", "asia": "AGG-ASIA",
    "америка": "AGG-AMERICA", "america": "AGG-AMERICA",
    "африка": "AGG-AFRICA", "africa": "AGG-AFRICA",
    "австралия и океания": "AGG-OCEANIA", "australia and oceania": "AGG-OCEANIA",
    "sco": "AGG-SCO",  # Shanghai Cooperation Organisation members
}

# A partner the publisher could not attribute: not a country, not a sum of countries.
UNSPECIFIED = {"undefined country": "UNSPECIFIED"}

RUSSIAN = {
    "австралия": "AUS", "австрия": "AUT", "азербайджан": "AZE", "аландские острова": "ALA",
    "албания": "ALB", "алжир": "DZA", "американское самоа": "ASM", "ангилья (брит.)": "AIA",
    "ангола": "AGO", "андорра": "AND", "антигуа и барбуда": "ATG", "аргентина": "ARG",
    "армения": "ARM", "афганистан": "AFG", "багамы": "BHS", "бангладеш": "BGD", "барбадос": "BRB",
    "бахрейн": "BHR", "беларусь": "BLR", "белиз": "BLZ", "бельгия": "BEL", "бенин": "BEN",
    "бермуды": "BMU", "болгария": "BGR", "боливия": "BOL", "босния и герцеговина": "BIH",
    "ботсвана": "BWA", "бразилия": "BRA", "британская территория в индийском океане": "IOT",
    "бруней-даруссалам": "BRN", "буркина-фасо": "BFA", "бурунди": "BDI", "бутан": "BTN",
    "ватикан, государство-город": "VAT", "венгрия": "HUN", "венесуэла": "VEN",
    "виргинские острова (брит.)": "VGB", "виргинские острова (сша)": "VIR",
    "виргинские острова, сша": "VIR", "вьетнам": "VNM", "габон": "GAB", "гаити": "HTI",
    "гайана": "GUY", "гамбия": "GMB", "гана": "GHA", "гваделупа": "GLP", "гватемала": "GTM",
    "гвинея": "GIN", "германия": "DEU", "гернси": "GGY", "гибралтар (брит.)": "GIB",
    "гондурас": "HND", "гонконг": "HKG", "гренада": "GRD", "гренландия": "GRL", "греция": "GRC",
    "грузия": "GEO", "гуам (сша)": "GUM", "дания": "DNK", "демократическая республика конго": "COD",
    "джерси": "JEY", "джибути": "DJI", "доминика": "DMA", "доминиканская республика": "DOM",
    "египет": "EGY", "замбия": "ZMB", "западная сахара": "ESH", "зимбабве": "ZWE", "израиль": "ISR",
    "индия": "IND", "индонезия": "IDN", "иордания": "JOR", "ирак, республика ирак": "IRQ",
    "иран, исламская республика": "IRN", "ирландия": "IRL", "исландия": "ISL", "испания": "ESP",
    "италия": "ITA", "йемен": "YEM", "кабо-верде": "CPV", "каймановы острова (брит.)": "CYM",
    "камбоджа": "KHM", "камерун": "CMR", "канада": "CAN", "катар": "QAT", "кения": "KEN",
    "кипр": "CYP", "кирибати": "KIR", "китай": "CHN", "кокосовые (килинг) острова": "CCK",
    "колумбия": "COL", "коморские острова": "COM", "конго": "COG",
    "корея, народно-демократическая республика": "PRK", "коста-рика": "CRI", "кот-д'ивуар": "CIV",
    "куба": "CUB", "кувейт": "KWT", "казахстан": "KAZ", "кыргызстан": "KGZ", "кюрасао": "CUW",
    "лаосская народно-демократическая республика": "LAO", "лесото": "LSO", "либерия": "LBR",
    "ливан": "LBN", "ливия": "LBY", "литва": "LTU", "лихтенштейн": "LIE", "люксембург": "LUX",
    "маврикий": "MUS", "мавритания": "MRT", "мадагаскар": "MDG", "майотта": "MYT", "макао": "MAC",
    "македония": "MKD", "малави": "MWI", "малайзия": "MYS", "мали": "MLI",
    "малые тихоокеан. отдален. острова сша": "UMI", "малые тихоокеан. отдаленные остроа сша": "UMI",
    "малые тихоокеан.отдален.ост-ва с.ш.": "UMI", "мальдивы": "MDV", "мальта": "MLT",
    "марокко": "MAR", "мартиника": "MTQ", "маршалловы острова": "MHL", "мексика": "MEX",
    "микронезия, федеративные штаты": "FSM", "мозамбик": "MOZ", "молдова, республика": "MDA",
    "монако": "MCO", "монголия": "MNG", "монтсеррат": "MSR", "мьянма": "MMR", "намибия": "NAM",
    "науру": "NRU", "непал": "NPL", "нигер": "NER", "нигерия": "NGA", "нидерланды": "NLD",
    "никарагуа": "NIC", "ниуэ": "NIU", "новая зеландия": "NZL", "новая каледония": "NCL",
    "норвегия": "NOR", "объединенные арабские эмираты": "ARE", "оман": "OMN", "остров мэн": "IMN",
    "остров рождества": "CXR", "остров святой елены": "SHN", "острова кука (н.зел.)": "COK",
    "острова теркс и кайкос": "TCA", "пакистан": "PAK", "палау": "PLW",
    "палестина, государство": "PSE", "панама": "PAN", "папуа-новая гвинея": "PNG",
    "парагвай": "PRY", "перу": "PER", "питкерн": "PCN", "польша": "POL", "португалия": "PRT",
    "пуэрто-рико": "PRI", "республика корея": "KOR", "республика латвия": "LVA", "реюньон": "REU",
    "россия": "RUS", "руанда": "RWA", "румыния": "ROU", "сальвадор": "SLV",
    "самоа, независимое государство": "WSM", "сан-марино": "SMR", "сан-томе и принсипи": "STP",
    "саудовская аравия": "SAU", "свазиленд": "SWZ", "северные марианские острова": "MNP",
    "сейшелы": "SYC", "сен-бартелеми": "BLM", "сенегал": "SEN", "сент-винсент и гренадины": "VCT",
    "сент-китс и невис": "KNA", "сент-люсия": "LCA", "сербия": "SRB", "сингапур": "SGP",
    "сирийская арабская республика": "SYR", "словакия": "SVK", "словения": "SVN",
    "соединенное королевство": "GBR", "соединенные штаты америки": "USA",
    "соломоновы острова": "SLB", "сомали": "SOM", "судан": "SDN", "суринам": "SUR",
    "сьерра-леоне": "SLE", "таджикистан": "TJK", "таиланд": "THA", "тайвань (китай)": "TWN",
    "танзания, объединенная республика": "TZA", "тимор-лесте": "TLS", "того": "TGO",
    "токелау": "TKL", "тринидад и тобаго": "TTO", "тувалу": "TUV", "тунис": "TUN",
    "туркменистан": "TKM", "турция": "TUR", "уганда": "UGA", "узбекистан": "UZB", "украина": "UKR",
    "уоллис и футуна": "WLF", "уругвай": "URY", "фарерские острова": "FRO", "фиджи": "FJI",
    "филиппины": "PHL", "финляндия": "FIN", "фолклендские острова (мальвинские)": "FLK",
    "франция": "FRA", "французкие южные территории": "ATF", "французские южные территории": "ATF",
    "французская гвиана": "GUF", "французская полинезия": "PYF", "хорватия": "HRV",
    "центрально-африканская республика": "CAF", "чад": "TCD", "черногория (монтенегро)": "MNE",
    "чешская республика": "CZE", "чили": "CHL", "швейцария": "CHE", "швеция": "SWE",
    "шри-ланка": "LKA", "эквадор": "ECU", "экваториальная гвинея": "GNQ", "эритрея": "ERI",
    "эстония": "EST", "эфиопия": "ETH", "южн.джорджия и южн.сандвич.острова": "SGS",
    "южная африка": "ZAF", "южный судан": "SSD", "ямайка": "JAM", "япония": "JPN",
}

ENGLISH = {
    "afghanistan": "AFG", "albania": "ALB", "algeria": "DZA", "andorra": "AND", "angola": "AGO",
    "anguilla": "AIA", "argentina": "ARG", "armenia": "ARM", "australia": "AUS", "austria": "AUT",
    "azerbaijan": "AZE", "bahrain": "BHR", "bangladesh": "BGD", "belarus": "BLR", "belgium": "BEL",
    "belize": "BLZ", "benin": "BEN", "bermuda": "BMU", "bolivia": "BOL",
    "bosnia and herzegovina": "BIH", "bostwana": "BWA", "bouvet": "BVT", "brazil": "BRA",
    "british virgin islands": "VGB", "brunei darussalam": "BRN", "bulgaria": "BGR",
    "butane": "BTN",  # the Committee's misspelling of Bhutan (Russian column: Бутан)
    "cambodia": "KHM", "canada": "CAN", "car": "CAF", "chad": "TCD", "chile": "CHL", "china": "CHN",
    "china (sar hong kong)": "HKG", "colombia": "COL", "congo": "COG", "cote d'ivoire": "CIV",
    "croatia": "HRV", "cuba": "CUB", "cyprus": "CYP", "czech republic": "CZE", "denmark": "DNK",
    "djibouti": "DJI", "dominica": "DMA", "dominican republic": "DOM",
    "eastern samoa": "ASM",  # Russian column: Восточное Самоа, i.e. American Samoa
    "ecuador": "ECU", "egypt": "EGY", "eritrea": "ERI", "estonia": "EST", "ethiopia": "ETH",
    "finland": "FIN", "france": "FRA", "gabon": "GAB", "georgia": "GEO", "germany": "DEU",
    "ghana": "GHA", "great britain (united kingdom)": "GBR", "greece": "GRC", "guinea": "GIN",
    "honduras": "HND", "hungary": "HUN", "india": "IND", "indonesia": "IDN", "iran": "IRN",
    "iraq": "IRQ", "ireland": "IRL", "israel": "ISR", "italy": "ITA", "jamaica": "JAM", "japan": "JPN",
    "jordan": "JOR", "kazakhstan": "KAZ", "kenya": "KEN", "kyrgyzstan": "KGZ", "korea (dprk)": "PRK", "kuwait": "KWT",
    "lao people's democratic republic": "LAO", "latvia": "LVA", "lebanon": "LBN", "liberia": "LBR",
    "libya": "LBY", "lithuania": "LTU", "luxembourg": "LUX", "malaysia": "MYS", "maldives": "MDV",
    "mali": "MLI", "malta": "MLT", "mauritania": "MRT", "mexico": "MEX", "moldova": "MDA",
    "monaco": "MCO", "mongolia": "MNG", "montenegro": "MNE", "mozambique": "MOZ", "myanmar": "MMR",
    "nauru": "NRU", "nepal": "NPL", "netherlands": "NLD", "new zealand": "NZL", "nigeria": "NGA",
    "norway": "NOR", "oman": "OMN", "pakistan": "PAK", "panama": "PAN", "papua new guinea": "PNG",
    "paraguay": "PRY", "philippines": "PHL", "poland": "POL", "portugal": "PRT", "qatar": "QAT",
    "republic of macedonia": "MKD", "romania": "ROU", "russia": "RUS", "saudi arabia": "SAU",
    "serbia": "SRB", "seychelles": "SYC", "sierra leone": "SLE", "singapore": "SGP",
    "slovakia": "SVK", "slovenia": "SVN", "solomon islands": "SLB", "somalia": "SOM",
    "south africa": "ZAF", "spain": "ESP", "sri lanka": "LKA", "sudan": "SDN", "sweden": "SWE",
    "switzerland": "CHE", "syria": "SYR", "taiwan. china province": "TWN", "tajikistan": "TJK",
    "thailand": "THA", "the republic of korea": "KOR", "togo": "TGO", "tokelau": "TKL",
    "tunisia": "TUN", "turkey": "TUR", "turkmenistan": "TKM", "uganda": "UGA", "ukraine": "UKR",
    "united arab emirates": "ARE", "uruguay": "URY", "usa": "USA", "uzbekistan": "UZB",
    "venezuela": "VEN", "vietnam": "VNM", "yemen": "YEM", "zambia": "ZMB", "zimbabwe": "ZWE",
}

NAMES = {**RUSSIAN, **ENGLISH, **AGGREGATES, **UNSPECIFIED}
# One table per publisher's naming, so a run reports the entries its own documents never used.
TABLES = (CodeTable("trade names (Kazakhstan's Bureau, Russian)", RUSSIAN),
          CodeTable("trade names (Kyrgyzstan's Committee, English)", ENGLISH),
          CodeTable("trade groups", {**AGGREGATES, **UNSPECIFIED}))


def key(name: str) -> str:
    """Case and whitespace differ between releases ("Антигуа И Барбуда", "Всего\\nв том числе")."""
    return " ".join(name.split()).lower()


def trade_name_code(name: str) -> str:
    code = next((c for c in (t.get(key(name)) for t in TABLES) if c is not None), None)
    if code is None:
        raise UnknownName(f"no code for {name!r} in transforms/codes_trade_names.py")
    return code


def is_aggregate(code: str) -> bool:
    return code == "WLD" or code.startswith("AGG-")
