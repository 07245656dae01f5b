//! Curated word lists behind the offline LLM backend: names, occupations, cities and
//! interests, each interest with search queries, sites and products that fit it.

pub const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Lucas", "Mia", "Ethan", "Amara",
    "Hiro", "Isabella", "Omar", "Chloe", "Daniel", "Priya", "Jonas", "Lena", "Marcus", "Zoe",
    "Tariq", "Grace", "Samuel", "Nadia", "Felix", "Hannah", "Diego", "Aisha", "Victor", "Elena",
    "Kenji", "Ruth", "Andre", "Maya", "Tomas", "Ingrid", "Kwame", "Clara", "Rafael",
];

pub const LAST_NAMES: &[&str] = &[
    "Johnson",
    "Garcia",
    "Nguyen",
    "Müller",
    "Okafor",
    "Rossi",
    "Kowalski",
    "Tanaka",
    "Silva",
    "Haddad",
    "Andersson",
    "Murphy",
    "Patel",
    "Cohen",
    "Dubois",
    "Kim",
    "Novak",
    "Hughes",
    "Fernandez",
    "Larsen",
    "Mensah",
    "Costa",
    "Schmidt",
    "Ivanova",
    "Reyes",
    "Bennett",
    "Sato",
    "Walsh",
    "Ortiz",
    "Lindqvist",
    "Brooks",
    "Khan",
    "Moreau",
    "Park",
    "Evans",
    "Santos",
];

pub const OCCUPATIONS: &[&str] = &[
    "high school teacher",
    "nurse",
    "software developer",
    "accountant",
    "graphic designer",
    "electrician",
    "pharmacist",
    "marketing manager",
    "civil engineer",
    "chef",
    "dental hygienist",
    "paralegal",
    "veterinary technician",
    "architect",
    "physical therapist",
    "journalist",
    "real estate agent",
    "data analyst",
    "librarian",
    "carpenter",
    "flight attendant",
    "social worker",
    "mechanical engineer",
    "barista",
    "retail store manager",
    "photographer",
    "research scientist",
    "HR coordinator",
    "logistics planner",
    "yoga instructor",
];

/// City, region, country, IANA time zone.
pub const CITIES: &[(&str, &str, &str, &str)] = &[
    ("Portland", "Oregon", "US", "America/Los_Angeles"),
    ("Austin", "Texas", "US", "America/Chicago"),
    ("Denver", "Colorado", "US", "America/Denver"),
    ("Chicago", "Illinois", "US", "America/Chicago"),
    ("Atlanta", "Georgia", "US", "America/New_York"),
    ("Boston", "Massachusetts", "US", "America/New_York"),
    ("Seattle", "Washington", "US", "America/Los_Angeles"),
    ("Minneapolis", "Minnesota", "US", "America/Chicago"),
    ("Raleigh", "North Carolina", "US", "America/New_York"),
    ("Phoenix", "Arizona", "US", "America/Phoenix"),
    ("Toronto", "Ontario", "CA", "America/Toronto"),
    ("Vancouver", "British Columbia", "CA", "America/Vancouver"),
    ("Manchester", "England", "GB", "Europe/London"),
    ("Bristol", "England", "GB", "Europe/London"),
    ("Dublin", "Leinster", "IE", "Europe/Dublin"),
    ("Lyon", "Auvergne-Rhône-Alpes", "FR", "Europe/Paris"),
    ("Munich", "Bavaria", "DE", "Europe/Berlin"),
    ("Rotterdam", "South Holland", "NL", "Europe/Amsterdam"),
    ("Barcelona", "Catalonia", "ES", "Europe/Madrid"),
    ("Melbourne", "Victoria", "AU", "Australia/Melbourne"),
];

pub const STREETS: &[&str] = &[
    "Maple Avenue",
    "Oak Street",
    "Cedar Lane",
    "Park Road",
    "Willow Way",
    "Hillside Drive",
    "River Road",
    "Elm Street",
    "Station Road",
    "Lakeview Terrace",
    "Church Street",
    "Mill Lane",
];

pub const SHOPPING_STYLES: &[&str] = &[
    "bargain hunter",
    "brand loyal",
    "impulse buyer",
    "research-heavy",
    "eco-conscious",
    "premium quality seeker",
    "subscription lover",
    "seasonal sale shopper",
];

pub struct Interest {
    pub name: &'static str,
    pub queries: &'static [&'static str],
    /// Site and paths worth visiting for the interest.
    pub sites: &'static [(&'static str, &'static [&'static str])],
    /// Product name, shop domain, price in cents.
    pub products: &'static [(&'static str, &'static str, u32)],
}

pub const INTERESTS: &[Interest] = &[
    Interest {
        name: "gardening",
        queries: &[
            "when to plant tomatoes",
            "best raised bed soil mix",
            "how to prune hydrangeas",
            "companion planting chart",
            "organic aphid control",
        ],
        sites: &[
            (
                "www.gardenersworld.com",
                &["/how-to/grow-plants", "/plants/hydrangeas"],
            ),
            (
                "extension.umn.edu",
                &["/yard-and-garden", "/vegetables/growing-tomatoes"],
            ),
        ],
        products: &[
            ("Ergonomic hand trowel", "www.gardeners.com", 1899),
            ("Raised garden bed kit 4x8", "www.homedepot.com", 12999),
            ("Heirloom tomato seed set", "www.burpee.com", 1495),
        ],
    },
    Interest {
        name: "cooking",
        queries: &[
            "easy weeknight pasta recipes",
            "how to make sourdough starter",
            "cast iron seasoning guide",
            "vegetarian chili recipe",
            "best knife sharpening technique",
        ],
        sites: &[
            ("www.seriouseats.com", &["/recipes", "/the-food-lab"]),
            (
                "www.bbcgoodfood.com",
                &["/recipes/collection/easy", "/howto/guide"],
            ),
        ],
        products: &[
            ("10-inch cast iron skillet", "www.lodgecastiron.com", 2999),
            ("Digital kitchen scale", "www.amazon.com", 2499),
            ("Chef's knife 8 inch", "www.williams-sonoma.com", 8995),
        ],
    },
    Interest {
        name: "running",
        queries: &[
            "beginner 10k training plan",
            "best running shoes for flat feet",
            "how to avoid shin splints",
            "marathon fueling strategy",
            "interval training workouts",
        ],
        sites: &[
            ("www.runnersworld.com", &["/training", "/gear"]),
            ("www.strava.com", &["/routes", "/clubs"]),
        ],
        products: &[
            ("Neutral running shoes", "www.brooksrunning.com", 13000),
            ("GPS running watch", "www.garmin.com", 29999),
            ("Hydration vest", "www.rei.com", 7995),
        ],
    },
    Interest {
        name: "photography",
        queries: &[
            "best mirrorless camera 2026",
            "how to shoot long exposure",
            "lightroom presets tutorial",
            "golden hour portrait tips",
            "prime vs zoom lens",
        ],
        sites: &[
            ("www.dpreview.com", &["/reviews", "/articles"]),
            ("petapixel.com", &["/category/tutorials", "/reviews"]),
        ],
        products: &[
            ("50mm f/1.8 prime lens", "www.bhphotovideo.com", 21900),
            ("Carbon fiber travel tripod", "www.adorama.com", 18995),
            ("ND filter kit", "www.amazon.com", 5999),
        ],
    },
    Interest {
        name: "personal finance",
        queries: &[
            "high yield savings account rates",
            "how to start an index fund",
            "roth ira vs 401k",
            "budgeting apps comparison",
            "how to improve credit score",
        ],
        sites: &[
            ("www.nerdwallet.com", &["/banking", "/investing"]),
            (
                "www.investopedia.com",
                &["/retirement", "/personal-finance"],
            ),
        ],
        products: &[
            (
                "The Psychology of Money (book)",
                "www.barnesandnoble.com",
                1899,
            ),
            ("Budget planner notebook", "www.etsy.com", 2400),
        ],
    },
    Interest {
        name: "home improvement",
        queries: &[
            "how to fix a leaky faucet",
            "best cordless drill",
            "paint color trends",
            "how to install floating shelves",
            "diy bathroom tile",
        ],
        sites: &[
            ("www.thisoldhouse.com", &["/plumbing", "/painting"]),
            ("www.familyhandyman.com", &["/project", "/list"]),
        ],
        products: &[
            ("20V cordless drill kit", "www.lowes.com", 9900),
            ("Stud finder", "www.homedepot.com", 2997),
            ("Interior paint gallon", "www.sherwin-williams.com", 7499),
        ],
    },
    Interest {
        name: "hiking",
        queries: &[
            "best day hikes near me",
            "how to layer for cold hikes",
            "trekking poles worth it",
            "leave no trace principles",
            "lightweight tent reviews",
        ],
        sites: &[
            ("www.alltrails.com", &["/parks", "/trail"]),
            ("www.rei.com", &["/learn/expert-advice", "/c/hiking"]),
        ],
        products: &[
            ("Waterproof hiking boots", "www.rei.com", 16995),
            ("Trekking poles pair", "www.backcountry.com", 8995),
            ("2-person backpacking tent", "www.rei.com", 29995),
        ],
    },
    Interest {
        name: "board games",
        queries: &[
            "best cooperative board games",
            "board games for two players",
            "how to play wingspan",
            "game night snack ideas",
            "strategy games for beginners",
        ],
        sites: &[
            ("boardgamegeek.com", &["/browse/boardgame", "/forums"]),
            ("www.dicebreaker.com", &["/games", "/lists"]),
        ],
        products: &[
            ("Wingspan board game", "www.target.com", 6499),
            ("Pandemic board game", "www.amazon.com", 3999),
            ("Card sleeves pack", "www.miniaturemarket.com", 699),
        ],
    },
    Interest {
        name: "coffee",
        queries: &[
            "pour over ratio",
            "best burr grinder under 200",
            "light vs dark roast caffeine",
            "how to dial in espresso",
            "cold brew concentrate recipe",
        ],
        sites: &[
            ("www.jameshoffmann.co.uk", &["/blog", "/guides"]),
            ("www.seriouseats.com", &["/coffee", "/coffee-gear"]),
        ],
        products: &[
            ("Conical burr grinder", "www.baratza.com", 14995),
            ("Gooseneck kettle", "www.fellowproducts.com", 16500),
            ("Single origin beans 12oz", "www.bluebottlecoffee.com", 2200),
        ],
    },
    Interest {
        name: "travel",
        queries: &[
            "cheap flights to lisbon",
            "carry on packing list",
            "best travel credit cards",
            "things to do in kyoto",
            "travel insurance comparison",
        ],
        sites: &[
            ("www.lonelyplanet.com", &["/articles", "/destinations"]),
            ("www.tripadvisor.com", &["/Attractions", "/Hotels"]),
        ],
        products: &[
            ("Carry-on spinner suitcase", "www.away.com", 27500),
            ("Packing cubes set", "www.eaglecreek.com", 4495),
            ("Universal travel adapter", "www.amazon.com", 2999),
        ],
    },
    Interest {
        name: "fitness",
        queries: &[
            "full body workout at home",
            "how much protein per day",
            "kettlebell swing form",
            "best adjustable dumbbells",
            "mobility routine for desk workers",
        ],
        sites: &[
            ("www.verywellfit.com", &["/workouts", "/nutrition"]),
            ("www.menshealth.com", &["/fitness", "/health"]),
        ],
        products: &[
            ("Adjustable dumbbells pair", "www.bowflex.com", 42900),
            ("Yoga mat 6mm", "www.lululemon.com", 8800),
            ("Resistance bands set", "www.amazon.com", 2599),
        ],
    },
    Interest {
        name: "reading",
        queries: &[
            "best mystery novels 2026",
            "book club picks",
            "kindle vs kobo",
            "literary fiction recommendations",
            "how to read more books",
        ],
        sites: &[
            ("www.goodreads.com", &["/choiceawards", "/genres/mystery"]),
            ("lithub.com", &["/category/reviews", "/lists"]),
        ],
        products: &[
            ("E-reader paperwhite", "www.amazon.com", 14999),
            ("Reading light clip", "www.target.com", 1599),
            ("Hardcover novel", "bookshop.org", 2800),
        ],
    },
    Interest {
        name: "cycling",
        queries: &[
            "road bike vs gravel bike",
            "how to fix a flat tire",
            "bike commuting tips",
            "best bike lights",
            "cycling cadence explained",
        ],
        sites: &[
            ("www.bikeradar.com", &["/advice", "/reviews"]),
            ("www.cyclingweekly.com", &["/fitness", "/reviews"]),
        ],
        products: &[
            ("Front and rear bike light set", "www.rei.com", 5995),
            ("Bike helmet MIPS", "www.giro.com", 9995),
            ("Mini floor pump", "www.amazon.com", 3499),
        ],
    },
    Interest {
        name: "pets",
        queries: &[
            "how to crate train a puppy",
            "best dog food for sensitive stomach",
            "cat scratching post ideas",
            "how often to groom a dog",
            "pet insurance worth it",
        ],
        sites: &[
            ("www.akc.org", &["/expert-advice", "/dog-breeds"]),
            ("www.petmd.com", &["/dog", "/cat"]),
        ],
        products: &[
            ("Orthopedic dog bed", "www.chewy.com", 7999),
            ("Interactive cat toy", "www.petco.com", 1999),
            ("Grain-free kibble 24lb", "www.chewy.com", 6499),
        ],
    },
    Interest {
        name: "music production",
        queries: &[
            "best daw for beginners",
            "how to mix vocals",
            "midi keyboard 49 keys",
            "home studio acoustic treatment",
            "synth sound design basics",
        ],
        sites: &[
            ("www.soundonsound.com", &["/techniques", "/reviews"]),
            ("www.musicradar.com", &["/tutorials", "/news/tech"]),
        ],
        products: &[
            ("49-key MIDI controller", "www.sweetwater.com", 17999),
            ("Studio headphones", "www.guitarcenter.com", 9900),
            ("USB audio interface", "www.sweetwater.com", 16999),
        ],
    },
    Interest {
        name: "tech gadgets",
        queries: &[
            "best noise cancelling headphones",
            "usb c hub for laptop",
            "smart home starter kit",
            "mechanical keyboard switches explained",
            "phone battery life tips",
        ],
        sites: &[
            ("www.theverge.com", &["/tech", "/reviews"]),
            ("www.rtings.com", &["/headphones", "/monitor"]),
        ],
        products: &[
            ("Noise cancelling headphones", "www.bestbuy.com", 29999),
            ("USB-C 7-in-1 hub", "www.amazon.com", 3999),
            ("Mechanical keyboard", "www.keychron.com", 9900),
        ],
    },
];

pub fn interest(name: &str) -> Option<&'static Interest> {
    INTERESTS.iter().find(|i| i.name.eq_ignore_ascii_case(name))
}
