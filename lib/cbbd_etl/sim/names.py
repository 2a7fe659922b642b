"""Word lists for invented schools, conferences, players and venues.

Why invented names: simulated records must never be mistaken for real ones
(the project also holds real 2022 reference data, joined by school name), so
schools and conferences are composed from neutral syllables ("Cedarford
State", "Tidewater Athletic Conference"). US states and common given names
are used as they are, because they carry no results.
"""
from __future__ import annotations

PLACE_HEADS: tuple[str, ...] = (
    "Ash", "Bel", "Birch", "Black", "Bram", "Bridge", "Brook", "Cam", "Cedar", "Clay", "Clear", "Cliff",
    "Cold", "Copper", "Crest", "Dun", "East", "Elk", "Elm", "Fair", "Fal", "Fern", "Flint", "Fox", "Glen",
    "Gold", "Granite", "Green", "Hale", "Harbor", "Hart", "Haw", "Hazel", "High", "Holly", "Iron", "Kings",
    "Lake", "Lan", "Lark", "Lin", "Maple", "Marsh", "Mead", "Mill", "Moss", "New", "North", "Oak", "Orchard",
    "Pem", "Pine", "Pleasant", "Quarry", "Raven", "Red", "Ridge", "River", "Rock", "Rose", "Sage", "Salt",
    "Sand", "Shad", "Shore", "Silver", "South", "Spring", "Stone", "Stan", "Sum", "Sun", "Thorn", "Timber",
    "Wal", "War", "West", "White", "Willow", "Win", "Wolf", "Wood", "Wren", "York",
)
PLACE_TAILS: tuple[str, ...] = (
    "bridge", "brook", "burg", "bury", "by", "crest", "dale", "field", "ford", "gate", "haven", "hill",
    "hurst", "land", "ley", "mont", "moor", "more", "mouth", "port", "ridge", "stead", "ton", "vale",
    "view", "ville", "water", "wick", "wood", "worth",
)
SCHOOL_PATTERNS: tuple[tuple[str, int], ...] = (
    ("{p}", 30), ("{p} State", 22), ("North {p}", 4), ("South {p}", 4), ("East {p}", 3), ("West {p}", 3),
    ("Central {p}", 4), ("{p} Tech", 5), ("{p} A&M", 2), ("{p} Christian", 3), ("{p} College", 3),
    ("Saint {s}", 4), ("{p} Baptist", 2), ("Northern {p}", 2), ("Southern {p}", 2), ("{p} Poly", 1),
)
SAINTS: tuple[str, ...] = (
    "Ambrose", "Anselm", "Bartholomew", "Bede", "Brendan", "Cecilia", "Clement", "Columba", "Dominic",
    "Edmund", "Gregory", "Hilda", "Ignatius", "Jerome", "Kevin", "Lucian", "Malachy", "Oswald", "Patrick",
    "Ursula", "Vincent", "Wilfred",
)
MASCOTS: tuple[str, ...] = (
    "Badgers", "Bears", "Bison", "Bobcats", "Broncos", "Bulldogs", "Cardinals", "Chargers", "Comets",
    "Cougars", "Coyotes", "Crusaders", "Dolphins", "Dragons", "Eagles", "Falcons", "Foxes", "Gators",
    "Griffins", "Grizzlies", "Hawks", "Herons", "Hornets", "Huskies", "Jackrabbits", "Jaguars", "Knights",
    "Lancers", "Lions", "Lynx", "Mariners", "Monarchs", "Mustangs", "Ospreys", "Otters", "Owls", "Panthers",
    "Pioneers", "Pirates", "Raiders", "Rams", "Ravens", "Rebels", "Red Foxes", "Roadrunners", "Rockets",
    "Sentinels", "Spartans", "Stags", "Storm", "Thunder", "Tigers", "Titans", "Vikings", "Warhawks",
    "Wildcats", "Wolverines", "Wolves", "Yellow Jackets",
)
COLORS: tuple[str, ...] = (
    "003087", "00205b", "0c2340", "13294b", "1d428a", "002855", "4b2e83", "582c83", "7a0019", "9e1b32",
    "a6192e", "c8102e", "ba0c2f", "e03a3e", "f56600", "ff8200", "ffc72c", "fdb927", "154734", "006a4e",
    "00843d", "2e8b57", "000000", "333f48", "5f6a72", "8c1d40", "b3a369", "c99700", "0067a5", "4f2683",
)
CONFERENCE_HEADS: tuple[str, ...] = (
    "Atlantic", "Pacific", "Great Plains", "Mountain", "Lakeshore", "Coastal", "Heartland", "Northern",
    "Southern", "Metro", "Valley", "Frontier", "Bayou", "Prairie", "Summit", "Riverside", "Gulf", "Piedmont",
    "Cascade", "Ozark", "Keystone", "Tidewater", "Mesa", "Delta", "Granite", "Sierra", "Bluegrass",
    "Lone Prairie", "Evergreen", "Canyon", "Harbor", "Capital", "Midlands", "Borderland", "Iron Range",
    "High Desert",
)
CONFERENCE_TAILS: tuple[str, ...] = ("Conference", "Athletic Conference", "League", "Athletic Association")

FIRST_NAMES: tuple[str, ...] = (
    "Aaron", "Adrian", "Alex", "Andre", "Anthony", "Antonio", "Ben", "Blake", "Brandon", "Brian", "Bryce",
    "Caleb", "Cameron", "Carter", "Chase", "Chris", "Cole", "Connor", "Damian", "Daniel", "Darius", "David",
    "DeAndre", "Derek", "Devin", "Dominic", "Drew", "Dylan", "Elijah", "Eric", "Ethan", "Evan", "Gabriel",
    "Grant", "Hunter", "Ian", "Isaac", "Isaiah", "Jabari", "Jackson", "Jacob", "Jalen", "Jamal", "James",
    "Jared", "Jason", "Javon", "Jayden", "Jeremiah", "Jordan", "Joseph", "Josh", "Julian", "Justin", "Kai",
    "Keegan", "Keith", "Kendall", "Kevin", "Kobe", "Kyle", "Lamar", "Landon", "Lucas", "Luke", "Malik",
    "Marcus", "Mason", "Matthew", "Max", "Miles", "Nate", "Nick", "Noah", "Omar", "Owen", "Parker",
    "Quentin", "Reggie", "Ryan", "Sam", "Seth", "Shane", "Terrence", "Trey", "Tristan", "Tyler", "Tyrese",
    "Victor", "Wesley", "Xavier", "Zach", "Zion",
)
LAST_NAMES: tuple[str, ...] = (
    "Adams", "Alexander", "Allen", "Anderson", "Bailey", "Baker", "Banks", "Barnes", "Bell", "Bennett",
    "Brooks", "Brown", "Bryant", "Butler", "Campbell", "Carter", "Clark", "Coleman", "Collins", "Cook",
    "Cooper", "Cox", "Davis", "Dixon", "Edwards", "Ellis", "Evans", "Fisher", "Fleming", "Foster", "Freeman",
    "Gibson", "Graham", "Grant", "Gray", "Green", "Griffin", "Hall", "Hamilton", "Harper", "Harris", "Hayes",
    "Henderson", "Hill", "Holmes", "Howard", "Hughes", "Jackson", "James", "Jenkins", "Johnson", "Jones",
    "Jordan", "Kelly", "Kennedy", "King", "Knight", "Lane", "Lee", "Lewis", "Long", "Marshall", "Martin",
    "Mason", "Matthews", "McDonald", "Miller", "Mitchell", "Moore", "Morgan", "Morris", "Murphy", "Murray",
    "Nelson", "Owens", "Parker", "Patterson", "Perry", "Peterson", "Phillips", "Porter", "Powell", "Price",
    "Reed", "Reynolds", "Richardson", "Roberts", "Robinson", "Rogers", "Ross", "Russell", "Sanders", "Scott",
    "Shaw", "Simmons", "Smith", "Spencer", "Stewart", "Sullivan", "Taylor", "Thomas", "Thompson", "Tucker",
    "Turner", "Walker", "Wallace", "Ward", "Warren", "Washington", "Watson", "Webb", "Wells", "White",
    "Williams", "Wilson", "Wood", "Wright", "Young",
)
STATES: tuple[tuple[str, str, float, float], ...] = (
    # abbreviation, FIPS state code, rough latitude, rough longitude (for hometown coordinates)
    ("AL", "01", 32.8, -86.8), ("AZ", "04", 34.2, -111.7), ("AR", "05", 34.9, -92.4), ("CA", "06", 37.2, -119.5),
    ("CO", "08", 39.0, -105.5), ("CT", "09", 41.6, -72.7), ("FL", "12", 28.6, -82.4), ("GA", "13", 32.7, -83.4),
    ("ID", "16", 44.4, -114.6), ("IL", "17", 40.0, -89.2), ("IN", "18", 39.9, -86.3), ("IA", "19", 42.1, -93.5),
    ("KS", "20", 38.5, -98.4), ("KY", "21", 37.5, -85.3), ("LA", "22", 31.1, -92.0), ("ME", "23", 45.4, -69.2),
    ("MD", "24", 39.0, -76.8), ("MA", "25", 42.3, -71.8), ("MI", "26", 44.3, -85.4), ("MN", "27", 46.3, -94.3),
    ("MS", "28", 32.7, -89.7), ("MO", "29", 38.4, -92.5), ("MT", "30", 47.0, -109.6), ("NE", "31", 41.5, -99.8),
    ("NV", "32", 39.3, -116.6), ("NH", "33", 43.7, -71.6), ("NJ", "34", 40.2, -74.7), ("NM", "35", 34.4, -106.1),
    ("NY", "36", 42.9, -75.5), ("NC", "37", 35.6, -79.4), ("ND", "38", 47.5, -100.5), ("OH", "39", 40.3, -82.8),
    ("OK", "40", 35.6, -97.5), ("OR", "41", 43.9, -120.6), ("PA", "42", 40.9, -77.8), ("RI", "44", 41.7, -71.5),
    ("SC", "45", 33.9, -80.9), ("SD", "46", 44.4, -100.2), ("TN", "47", 35.9, -86.4), ("TX", "48", 31.5, -99.3),
    ("UT", "49", 39.3, -111.7), ("VT", "50", 44.1, -72.7), ("VA", "51", 37.5, -78.9), ("WA", "53", 47.4, -120.5),
    ("WV", "54", 38.6, -80.6), ("WI", "55", 44.6, -89.9), ("WY", "56", 43.0, -107.5),
)
ARENA_PATTERNS: tuple[str, ...] = (
    "{school} Arena", "{school} Fieldhouse", "{place} Coliseum", "{place} Events Center", "{mascot} Pavilion",
    "{school} Activity Center", "{place} Civic Arena", "Memorial Gymnasium", "{school} Center",
)
NEUTRAL_ARENAS: tuple[str, ...] = (
    "Grand Harbor Arena", "Summit Events Center", "Riverside Coliseum", "Lakefront Garden", "Capital City Arena",
    "Desert Sun Pavilion", "Bayfront Center", "Northstar Arena", "Heritage Fieldhouse", "Union Station Arena",
    "Canyon View Center", "Pinecrest Dome",
)
NBA_NICKNAMES: tuple[str, ...] = (
    "Aces", "Blaze", "Bolts", "Chargers", "Comets", "Cyclones", "Express", "Flyers", "Generals", "Giants",
    "Gold", "Hurricanes", "Jets", "Kings", "Knights", "Lightning", "Mariners", "Meteors", "Monarchs",
    "Nighthawks", "Phantoms", "Pilots", "Rapids", "Rhythm", "Royals", "Sabres", "Stars", "Storm", "Titans",
    "Voyagers",
)
MTE_NAMES: tuple[str, ...] = (
    "{place} Classic", "{place} Invitational", "{place} Showcase", "Battle 4 {place}", "{place} Holiday Hoops",
    "{place} Tip-Off", "{place} Legends Classic", "{place} Hall of Fame Classic",
)
BROADCASTS: tuple[tuple[str, str], ...] = (
    ("ESPN", "TV"), ("ESPN2", "TV"), ("ESPNU", "TV"), ("FS1", "TV"), ("CBS", "TV"), ("CBSSN", "TV"),
    ("ESPN+", "Web"), ("Peacock", "Web"), ("Regional Sports Network", "TV"), ("Campus Radio", "Radio"),
)
LINE_PROVIDERS: tuple[tuple[int, str], ...] = ((36, "ESPN BET"), (40, "DraftKings"), (58, "Bovada"))
POLL_TYPES: tuple[str, ...] = ("AP Top 25", "Coaches Poll")
DRAFT_POSITIONS: tuple[tuple[str, str], ...] = (
    ("Point Guard", "PG"), ("Shooting Guard", "SG"), ("Small Forward", "SF"), ("Power Forward", "PF"),
    ("Center", "C"), ("Guard", "G"), ("Forward", "F"), ("Guard-Forward", "G-F"), ("Forward-Center", "F-C"),
)
