"""A small labelled sample: reflections as officials of a Fyrbodal municipality write them.

Written for the theme tests (not taken from real people). ``RELEVANT`` lists what a person
reading the cards named as their themes, before running anything; a theme the code finds
counts as right when its words stem to one of these (``tests/test_themes.py``).
"""

from __future__ import annotations

NAMES = ["Anna Lind", "Per Olsson", "Karin Berg", "Uddevalla", "Trollhättan", "Dals-Ed"]

REFLECTIONS = [
    "Vi behöver en gemensam plattform för e-tjänster så att invånarna möter samma sak"
    " i alla kommuner.",
    "Digitaliseringen kräver att ledningen tar ansvar, inte bara IT-avdelningen.",
    "Kompetensen hos medarbetarna är det största hindret för digitalisering hos oss i Uddevalla.",
    "Samverkan mellan kommunerna i Fyrbodal kan ge en gemensam plattform och lägre kostnader.",
    "Invånarna förväntar sig e-tjänster dygnet runt, som hos bankerna.",
    "Informationssäkerheten måste finnas med från början när vi köper nya system.",
    "Anna Lind sa att vi borde dela kompetens mellan kommunerna – samverkan på riktigt.",
    "Politikerna behöver förstå digitaliseringen för att kunna prioritera den i budgeten.",
    "Vi har för lite kompetens inom informationssäkerhet, särskilt i de små kommunerna.",
    "Bredband på landsbygden är en förutsättning för digitala tjänster till alla invånare.",
    "En gemensam plattform för e-tjänster vore bra – varför ska tio kommuner köpa samma sak?",
    "Ledningen måste visa vägen och ge tid för förändringsarbetet.",
    "Trollhättan har kommit långt med e-tjänster; vi kan lära av dem genom samverkan.",
    "Äldreomsorgen kan bli bättre med välfärdsteknik, men personalen behöver utbildning.",
    "Välfärdstekniken i hemtjänsten sparar tid och ger tryggare invånare.",
    "Budgeten räcker inte om varje kommun bygger egna system; samverkan sparar pengar.",
    "Digitala möten har gjort samverkan mellan kommunerna enklare.",
    "Kompetensutveckling för chefer borde vara gemensam i hela regionen.",
    "Invånarnas behov ska styra, inte systemleverantörerna.",
    "Per Olsson lyfte att informationssäkerhet och dataskydd ofta glöms bort i upphandlingen.",
    "Upphandlingen av system tar för lång tid och blir dyr för små kommuner.",
    "Vi behöver mäta nyttan av digitaliseringen, annars får vi inte budget.",
    "Skolan är långt fram med digitala verktyg, men resten av kommunen hänger inte med.",
    "E-tjänster för bygglov skulle avlasta handläggarna mycket.",
    "Bredbandet är fortfarande dåligt i Dals-Eds glesbygd, det hindrar digitala tjänster.",
    "Ledarskap och kultur är viktigare än tekniken i förändringsarbetet.",
    "Karin Berg menade att chefer behöver kompetens för att leda digitalisering.",
    "Samverkan kring informationssäkerhet: en gemensam säkerhetssamordnare för flera kommuner.",
    "Välfärdsteknik kräver att personalen känner sig trygg med tekniken.",
    "Vi måste involvera invånarna när vi utvecklar e-tjänster.",
    "The municipalities should share one platform for e-services instead of buying ten.",
    "Digital skills among managers are the real bottleneck, more than technology.",
    "Information security must be part of every procurement.",
    "Gemensam upphandling genom kommunalförbundet kan sänka kostnaderna.",
    "Förändringsarbetet tar tid och kräver uthållighet från ledningen.",
    "Öppna data kan ge nya tjänster från företag och invånare.",
    "Vi saknar en digital strategi som politikerna har beslutat om.",
    "En digital strategi för hela Fyrbodal skulle underlätta samverkan.",
    "Utbildning för förtroendevalda i digitalisering borde ske varje mandatperiod.",
    "Kostnaderna för licenser ökar varje år; gemensam upphandling vore en lösning.",
]

# What a reader named as the themes of these cards (labels; matched by stems of their words).
RELEVANT = [
    "samverkan",
    "e-tjänster",
    "gemensam plattform",
    "kompetens",
    "digitalisering",
    "informationssäkerhet",
    "invånare",
    "ledningen",
    "förändringsarbete",
    "välfärdsteknik",
    "bredband",
    "upphandling",
    "gemensam upphandling",
    "budget",
    "kostnader",
    "digital strategi",
    "digitala tjänster",
    "system",
    "personalen",
    "utbildning",
    "politikerna",
    "chefer",
    "tekniken",
    "kompetensutveckling",
    "ledarskap",
]

# A second sample, written and labelled after the word lists above were settled and never
# used to tune them: the held-out check of the same measure.
HELD_OUT = [
    "Vi borde testa nya arbetssätt i små piloter innan vi bestämmer oss.",
    "Piloter med robotar för ekonomiadministrationen har sparat mycket tid åt oss.",
    "Automatisering av enkla ärenden frigör handläggare till svårare ärenden.",
    "Medarbetarna måste vara med när arbetssätten ändras, annars blir det motstånd.",
    "Motståndet mot förändring är störst där ingen förklarat varför.",
    "Innovation kräver att man får misslyckas – det är ovanligt i en kommun.",
    "Chefer behöver tid och mandat för att driva innovation i verksamheten.",
    "Digitala ärenden ska kunna följas av invånaren, som ett paket på posten.",
    "Robotar i ekonomiadministrationen blev en bra start för automatisering.",
    "Vi saknar ett sätt att sprida lyckade piloter mellan förvaltningarna.",
    "Förvaltningarna arbetar i stuprör och delar inte med sig av arbetssätt.",
    "Mandat från politiken gör det lättare för chefer att pröva nytt.",
    "Innovation i verksamheten börjar med medarbetarnas idéer.",
    "Handläggarna vill ha automatisering av de återkommande ärendena.",
    "Det behövs en innovationsfond som förvaltningarna kan söka ur.",
    "Piloter ska utvärderas ordentligt innan de sprids till andra förvaltningar.",
]
HELD_OUT_RELEVANT = [
    "arbetssätt",
    "piloter",
    "robotar",
    "automatisering",
    "ärenden",
    "medarbetarna",
    "motstånd",
    "innovation",
    "chefer",
    "mandat",
    "förvaltningarna",
    "ekonomiadministrationen",
    "handläggare",
    "verksamheten",
    "innovationsfond",
    "förändring",
    "stuprör",
    "invånaren",
    "idéer",
]
