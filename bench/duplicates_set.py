"""A labelled set of likely and unlikely duplicates, made deterministically (issue 14, point 3).

Each group is one event entered first as a base incident, then once more as one of:
near-duplicates (``reworded``: the same telling in other words; ``transliterated``: the victim's
name in another Latin spelling, in English; ``ru_en``: an English version of a Russian record;
``shifted``: the dates given at another precision or a few days off; ``alias``: the same event at a
second record of the facility, named by one of its aliases) or non-duplicates (``same_place``:
another event at the same facility in the same year; ``same_dates``: another event on the same
days at another facility). ``make(n)`` writes n groups through the real services and returns the
pairs that are duplicates; ``bench/bench_duplicates.py`` measures, and a unit test holds a floor.
"""
from __future__ import annotations

import datetime
import random

from incidents.duplicates.likeness import THRESHOLD
from incidents.records import service

POSITIVE = ("reworded", "transliterated", "ru_en", "shifted", "alias")
NEGATIVE = ("same_place", "same_dates")
# Surnames with the Latin spellings English, German and French habits give them.
NAMES = [("Сидоров", "Sidorov", "Sydorov"), ("Кузнецов", "Kuznetsov", "Kusnezow"),
         ("Щербаков", "Shcherbakov", "Scherbakow"), ("Журавлёв", "Zhuravlev", "Zhuravlyov"),
         ("Хабибуллин", "Khabibullin", "Habibullin"), ("Осечкин", "Osechkin", "Ossetschkin"),
         ("Малышев", "Malyshev", "Malischew"), ("Григорьев", "Grigoryev", "Grigoriev"),
         ("Тимофеев", "Timofeev", "Timofeyev"), ("Яковлев", "Yakovlev", "Jakowlew"),
         ("Зайцев", "Zaitsev", "Saizew"), ("Чернов", "Chernov", "Tschernow"),
         ("Шестаков", "Shestakov", "Schestakow"), ("Фёдоров", "Fedorov", "Fyodorov"),
         ("Воробьёв", "Vorobyov", "Worobjow"), ("Ковальчук", "Kovalchuk", "Kowaltschuk"),
         ("Соловьёв", "Solovyov", "Solowjow"), ("Беляев", "Belyaev", "Beljajew"), ("Гусев", "Gusev", "Gussew"),
         ("Жуков", "Zhukov", "Schukow"), ("Цветков", "Tsvetkov", "Zwetkow"), ("Шилов", "Shilov", "Schilow"),
         ("Ефимов", "Efimov", "Yefimov"), ("Юдин", "Yudin", "Judin"), ("Медведев", "Medvedev", "Medwedew"),
         ("Хасанов", "Khasanov", "Chassanow"), ("Ибрагимов", "Ibragimov", "Ibrahimov"),
         ("Орлов", "Orlov", "Orlow"), ("Никитин", "Nikitin", "Nikitine"), ("Лебедев", "Lebedev", "Lebedew"),
         ("Калинин", "Kalinin", "Kalinine"), ("Тарасов", "Tarasov", "Tarassow"), ("Бондаренко", "Bondarenko", "Bondarenko"),
         ("Мельник", "Melnik", "Melnyk"), ("Ткаченко", "Tkachenko", "Tkatschenko"), ("Денисов", "Denisov", "Denissow"),
         ("Сафонов", "Safonov", "Safonow"), ("Карпов", "Karpov", "Karpow"), ("Зуев", "Zuev", "Sujew"),
         ("Мухин", "Mukhin", "Muchin")]
# What was done, in Russian (two wordings) and English.
ACTS = [("избили дубинками в камере", "жестоко били резиновыми палками в камере", "beaten with batons in the cell"),
        ("пытали электрошокером на допросе", "на допросе применяли электрошок", "tortured with electric shocks during interrogation"),
        ("привязали к кровати и насиловали", "связали на кровати и подвергли насилию", "tied to a bed and raped"),
        ("держали в карцере без воды", "заперли в штрафном изоляторе и не давали воды", "held in a punishment cell without water"),
        ("душили пакетом", "надевали на голову полиэтиленовый пакет", "suffocated with a plastic bag"),
        ("заставляли часами стоять на растяжке", "часами держали в позе растяжки", "forced to stand stretched for hours"),
        ("травили собакой", "натравили служебную собаку", "attacked with a service dog"),
        ("облили холодной водой на морозе", "на морозе окатили ледяной водой", "doused with cold water in the frost")]
CITIES = [("Саратов", "Saratov"), ("Ярославль", "Yaroslavl"), ("Иркутск", "Irkutsk"), ("Омск", "Omsk"),
          ("Владимир", "Vladimir"), ("Пермь", "Perm"), ("Курган", "Kurgan"), ("Тверь", "Tver"),
          ("Киров", "Kirov"), ("Томск", "Tomsk"), ("Самара", "Samara"), ("Оренбург", "Orenburg"),
          ("Вологда", "Vologda"), ("Мордовия", "Mordovia"), ("Чита", "Chita"), ("Хабаровск", "Khabarovsk"),
          ("Барнаул", "Barnaul"), ("Рязань", "Ryazan"), ("Тамбов", "Tambov"), ("Ангарск", "Angarsk")]
ADMIT = ("По словам адвоката", "Как сообщили родственники", "Согласно жалобе", "По данным правозащитников")


def _facilities(user) -> list[dict]:
    """One colony per city (a number each), kept as the records a facility list would hold."""
    made = []
    for index, (city_ru, city_en) in enumerate(CITIES):
        number = 2 + 3 * index
        names = {"ru": f"Исправительная колония № {number} УФСИН по городу {city_ru}",
                 "en": f"Penal Colony No. {number}, {city_en}"}
        aliases = [f"ИК-{number} {city_ru}", f"IK-{number} {city_en}"]
        facility = service.create_facility({"names": names, "aliases": aliases, "type": "penal_colony",
                                            "country": "RU", "locality": city_ru}, user, confirm_new=True)
        made.append({"id": facility.id, "number": number, "city": (city_ru, city_en), "alias": None})
    return made


def _alias_record(user, facility: dict) -> int:
    """A second record of the same colony, entered by someone who knew it by its alias only."""
    number, city_ru = facility["number"], facility["city"][0]
    if facility["alias"] is None:
        made = service.create_facility({"names": {"ru": f"ИК-{number} {city_ru}"}, "aliases": [f"IK-{number}"],
                                        "type": "penal_colony", "country": "RU"}, user, confirm_new=True)
        facility["alias"] = made.id
    return facility["alias"]


def _incident(user, facility: int, day: datetime.date, precision: str, language: str, title: str,
              narrative: str, pseudonym: str) -> int:
    start = {"day": day.isoformat(), "month": day.strftime("%Y-%m"), "year": str(day.year)}[precision]
    data = {"facility": facility, "date_start": start, "date_end": None, "date_precision": precision,
            "original_language": language, "title": {language: title}, "narrative": {language: narrative},
            "abuse": ["030502000000"], "perpetrators": [], "victims_count": 1, "violation_status": None,
            "graphic": False, "responses": [], "evidence": [],
            "persons": [{"role": "victim", "pseudonym": pseudonym, "consent": "anonymised"}]}
    return service.create_incident(data, user, max_text=20_000).id


def _telling(rng, name, act, facility, day, wording: int) -> tuple[str, str]:
    number, (city_ru, _en) = facility["number"], facility["city"]
    title = f"{name[0]}: {act[wording]} в ИК-{number}" if wording == 0 else \
        f"В колонии ИК-{number} ({city_ru}) заключённого {name[0]} {act[wording]}"
    narrative = (f"{rng.choice(ADMIT)}, {day.day}.{day.month:02d}.{day.year} заключённого {name[0]} "
                 f"{act[wording]}. Сотрудники колонии в {city_ru} отрицают насилие; подана жалоба в прокуратуру.")
    return title, narrative


def _english(name_latin, act, facility, day) -> tuple[str, str]:
    number, (_ru, city_en) = facility["number"], facility["city"]
    return (f"{name_latin}: {act[2]} at IK-{number}",
            f"On {day.isoformat()} the prisoner {name_latin} was {act[2]} at penal colony IK-{number} in {city_en}, "
            f"his lawyer says. The colony denies it; a complaint was filed with the prosecutor.")


def make(user, groups: int, seed: int = 14) -> tuple[list[tuple[int, int, str]], list[int]]:
    """Write ``groups`` labelled groups; return (pairs (base, other, kind), every incident id)."""
    rng = random.Random(seed)
    facilities = _facilities(user)
    pairs, ids = [], []
    kinds = POSITIVE * 2 + NEGATIVE * 2  # as many of each near-duplicate as of each non-duplicate, doubled
    for index in range(groups):
        kind = kinds[index % len(kinds)]
        facility = facilities[index % len(facilities)]
        name, act = rng.choice(NAMES), rng.choice(ACTS)
        day = datetime.date(2008, 1, 1) + datetime.timedelta(days=rng.randrange(15 * 365))
        title, narrative = _telling(rng, name, act, facility, day, 0)
        base = _incident(user, facility["id"], day, "day", "ru", title, narrative, name[0])
        if kind == "reworded":
            other = _incident(user, facility["id"], day, "day", "ru", *_telling(rng, name, act, facility, day, 1), name[0])
        elif kind == "transliterated":
            other = _incident(user, facility["id"], day, "day", "en", *_english(name[2], act, facility, day), name[2])
        elif kind == "ru_en":
            other = _incident(user, facility["id"], day, "day", "en", *_english(name[1], act, facility, day), name[1])
        elif kind == "shifted":
            precision = rng.choice(["month", "year", "day"])
            moved = day + datetime.timedelta(days=rng.choice([-12, -5, 4, 9, 20])) if precision == "day" else day
            other = _incident(user, facility["id"], moved, precision, "ru", *_telling(rng, name, act, facility, day, 1), name[0])
        elif kind == "alias":
            other = _incident(user, _alias_record(user, facility), day, "day", "ru",
                              *_telling(rng, name, act, facility, day, 1), name[0])
        elif kind == "same_place":  # another prisoner, another act, the same year and colony
            name2 = rng.choice([n for n in NAMES if n != name])
            act2 = rng.choice([a for a in ACTS if a != act])
            later = day + datetime.timedelta(days=rng.randrange(40, 200))
            other = _incident(user, facility["id"], later, "day", "ru", *_telling(rng, name2, act2, facility, later, 0), name2[0])
        else:  # same_dates: another prisoner at another colony on the same day
            place = facilities[(index + 5) % len(facilities)]
            name2 = rng.choice([n for n in NAMES if n != name])
            other = _incident(user, place["id"], day, "day", "ru", *_telling(rng, name2, rng.choice(ACTS), place, day, 0),
                              name2[0])
        pairs.append((base, other, kind))
        ids += [base, other]
    return pairs, ids


def measure(user, pairs, ids, likely) -> dict:
    """Precision and recall of ``likely(user, incident_id)`` (a list of (id, score)) over the set,
    at every threshold: every match returned that is not the labelled duplicate counts as a false one."""
    duplicate = {frozenset((a, b)) for a, b, kind in pairs if kind in POSITIVE}
    found = {}
    for incident_id in ids:
        for other, value in likely(user, incident_id):
            key = frozenset((incident_id, other))
            found[key] = max(found.get(key, 0.0), value)
    results = {}
    for threshold in sorted({0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, THRESHOLD}):
        kept = {key for key, value in found.items() if value >= threshold}
        true = len(kept & duplicate)
        results[threshold] = {"precision": true / len(kept) if kept else 1.0, "recall": true / len(duplicate),
                              "found": len(kept), "true": true}
    by_kind = {}
    for a, b, kind in pairs:
        by_kind.setdefault(kind, []).append(found.get(frozenset((a, b)), 0.0))
    return {"thresholds": results, "by_kind": by_kind, "duplicates": len(duplicate)}
