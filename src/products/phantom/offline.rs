//! Phantom's answers when no language model is configured: deterministic from a seed,
//! built from the curated lists in `words.rs` and templates, so every Phantom feature
//! works with no key and no network.

use serde_json::{json, Map, Value};

use crate::platform::rng::Rng;

use super::words::{
    self, Interest, CITIES, FIRST_NAMES, LAST_NAMES, OCCUPATIONS, SHOPPING_STYLES, STREETS,
};

/// Form fields the generator knows how to fill.
pub const FORM_FIELDS: &[&str] = &[
    "name",
    "full_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "street",
    "address_line1",
    "city",
    "state",
    "region",
    "zip",
    "postal_code",
    "country",
    "birthday",
    "date_of_birth",
    "dob",
    "age",
    "occupation",
    "job_title",
    "company",
    "username",
    "website",
];

pub fn generate(feature: &str, seed: u64, ctx: &Value) -> Result<Value, String> {
    let mut rng = Rng::new(seed);
    match feature {
        "persona" => Ok(persona(&mut rng, ctx["hint"].as_str().unwrap_or(""))),
        "plan" => Ok(plan(&mut rng, &ctx["persona"])),
        "search_queries" => Ok(json!({"queries": queries(&mut rng, &ctx["persona"], count(ctx))})),
        "browse_pages" => Ok(json!({"pages": pages(&mut rng, &ctx["persona"], count(ctx))})),
        "shop_products" => Ok(json!({"products": products(&mut rng, &ctx["persona"], count(ctx))})),
        "form_data" => form_data(&mut rng, ctx),
        other => Err(format!("offline backend has no template for {other}")),
    }
}

fn count(ctx: &Value) -> usize {
    ctx["count"].as_u64().unwrap_or(5).clamp(1, 50) as usize
}

fn persona(rng: &mut Rng, hint: &str) -> Value {
    let first = rng.pick(FIRST_NAMES);
    let last = rng.pick(LAST_NAMES);
    let age = rng.range(22, 68);
    let occupation = rng.pick(OCCUPATIONS);
    let (city, region, country, _) = rng.pick(CITIES);
    let style = rng.pick(SHOPPING_STYLES);
    let n = rng.range(3, 5) as usize;
    let hint_lc = hint.to_lowercase();
    let mut interests: Vec<&str> = words::INTERESTS
        .iter()
        .filter(|i| !hint_lc.is_empty() && hint_lc.contains(i.name))
        .map(|i| i.name)
        .collect();
    for i in rng.distinct(words::INTERESTS.len(), n) {
        let name = words::INTERESTS[i].name;
        if interests.len() < n && !interests.contains(&name) {
            interests.push(name);
        }
    }
    let description = format!(
        "{first} is a {age}-year-old {occupation} in {city} who spends free time on {} and {}. \
         A {style} when shopping online, {first} reads reviews before bigger purchases.",
        interests[0], interests[1]
    );
    json!({
        "name": format!("{first} {last}"),
        "age": age,
        "occupation": occupation,
        "location": format!("{city}, {region}, {country}"),
        "interests": interests,
        "shopping_style": style,
        "description": description,
    })
}

/// The persona's interests that the lists know, or all lists as a fallback.
fn known_interests(persona: &Value) -> Vec<&'static Interest> {
    let known: Vec<&Interest> = persona["interests"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i.as_str().and_then(words::interest))
                .collect()
        })
        .unwrap_or_default();
    if known.is_empty() {
        words::INTERESTS.iter().collect()
    } else {
        known
    }
}

fn city_of(persona: &Value) -> &str {
    persona["location"]
        .as_str()
        .and_then(|l| l.split(',').next())
        .unwrap_or("my area")
}

fn queries(rng: &mut Rng, persona: &Value, n: usize) -> Vec<String> {
    let interests = known_interests(persona);
    let city = city_of(persona).to_string();
    let mut out: Vec<String> = Vec::with_capacity(n);
    let mut guard = 0;
    while out.len() < n && guard < n * 10 {
        guard += 1;
        let i = rng.pick(&interests);
        let base = *rng.pick(i.queries);
        let q = match rng.range(0, 5) {
            0 => format!("{base} reddit"),
            1 => format!("{base} {city}").to_lowercase(),
            2 => format!("{base} 2026"),
            _ => base.to_string(),
        };
        if !out.contains(&q) {
            out.push(q);
        }
    }
    out
}

fn pages(rng: &mut Rng, persona: &Value, n: usize) -> Vec<Value> {
    let interests = known_interests(persona);
    (0..n)
        .map(|_| {
            let i = rng.pick(&interests);
            let (site, paths) = rng.pick(i.sites);
            let path = rng.pick(paths);
            json!({
                "url": format!("https://{site}{path}"),
                "title": format!("{} — {}", title_case(i.name), site.trim_start_matches("www.")),
                "dwell_seconds": rng.range(20, 180),
            })
        })
        .collect()
}

fn products(rng: &mut Rng, persona: &Value, n: usize) -> Vec<Value> {
    let interests = known_interests(persona);
    (0..n)
        .map(|_| {
            let i = rng.pick(&interests);
            let (name, site, price) = rng.pick(i.products);
            let slug: String = name
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            json!({
                "name": name,
                "site": site,
                "url": format!("https://{site}/search?q={}", slug.trim_matches('-')),
                "price_usd_cents": price,
                "category": i.name,
            })
        })
        .collect()
}

fn plan(rng: &mut Rng, persona: &Value) -> Value {
    let n = rng.range(6, 12) as usize;
    let qs = queries(rng, persona, n);
    let ps = pages(rng, persona, n);
    let shop = products(rng, persona, 2);
    let mut steps = Vec::with_capacity(n);
    let mut qi = 0;
    let mut pi = 0;
    while steps.len() < n {
        match rng.range(0, 9) {
            0..=2 if qi < qs.len() => {
                steps.push(json!({"action": "search", "query": qs[qi], "dwell_seconds": rng.range(5, 30)}));
                qi += 1;
            }
            3..=5 if pi < ps.len() => {
                steps.push(json!({"action": "visit", "url": ps[pi]["url"], "dwell_seconds": ps[pi]["dwell_seconds"]}));
                pi += 1;
            }
            6 => steps.push(json!({"action": "scroll", "dwell_seconds": rng.range(5, 60)})),
            7 if pi > 0 => steps.push(json!({"action": "click", "url": ps[pi - 1]["url"], "dwell_seconds": rng.range(5, 40)})),
            8 | 9 => {
                let p = rng.pick(&shop);
                steps.push(json!({"action": "shop", "url": p["url"], "dwell_seconds": rng.range(20, 120)}));
            }
            _ => steps.push(json!({"action": "scroll", "dwell_seconds": rng.range(5, 30)})),
        }
    }
    json!({"steps": steps})
}

/// The start every postcode of a city shares, for the cities personas live in most
/// (country code, city in lower case, start).
const CITY_POSTCODES: &[(&str, &str, &str)] = &[
    ("US", "new york", "100"),
    ("US", "los angeles", "900"),
    ("US", "chicago", "606"),
    ("US", "houston", "770"),
    ("US", "austin", "787"),
    ("US", "san francisco", "941"),
    ("US", "seattle", "981"),
    ("US", "portland", "972"),
    ("US", "boston", "021"),
    ("US", "denver", "802"),
    ("US", "miami", "331"),
    ("CA", "toronto", "M5V"),
    ("CA", "vancouver", "V6B"),
    ("CA", "montreal", "H3A"),
    ("GB", "london", "EC1A"),
    ("GB", "manchester", "M1"),
    ("GB", "birmingham", "B1"),
    ("GB", "leeds", "LS1"),
    ("GB", "edinburgh", "EH1"),
    ("GB", "glasgow", "G1"),
    ("FR", "paris", "750"),
    ("FR", "lyon", "6900"),
    ("FR", "marseille", "130"),
    ("FR", "toulouse", "310"),
    ("FR", "bordeaux", "330"),
    ("FR", "nice", "060"),
    ("DE", "berlin", "10"),
    ("DE", "munich", "80"),
    ("DE", "münchen", "80"),
    ("DE", "hamburg", "20"),
    ("DE", "cologne", "50"),
    ("DE", "köln", "50"),
    ("DE", "frankfurt", "60"),
    ("ES", "madrid", "280"),
    ("ES", "barcelona", "080"),
    ("ES", "valencia", "460"),
    ("ES", "seville", "410"),
    ("ES", "sevilla", "410"),
    ("IT", "rome", "001"),
    ("IT", "roma", "001"),
    ("IT", "milan", "201"),
    ("IT", "milano", "201"),
    ("IT", "naples", "801"),
    ("IT", "napoli", "801"),
    ("IT", "turin", "101"),
    ("IT", "torino", "101"),
    ("NL", "amsterdam", "10"),
    ("NL", "rotterdam", "30"),
    ("NL", "the hague", "25"),
    ("NL", "utrecht", "35"),
    ("PT", "lisbon", "1"),
    ("PT", "lisboa", "1"),
    ("PT", "porto", "4"),
    ("AU", "sydney", "20"),
    ("AU", "melbourne", "30"),
    ("AU", "brisbane", "40"),
    ("AU", "perth", "60"),
    ("AU", "adelaide", "50"),
];

/// How addresses, phone numbers and postcodes are written in a persona's country (an ISO
/// code or an English name); phone numbers never reach a real person ([`Local::phone`]).
struct Local {
    code: &'static str,
    streets: &'static [&'static str],
    /// "12 Main Street" (true) or "Hauptstraße 12" (false).
    number_first: bool,
}

impl Local {
    fn of(country: &str) -> Local {
        let code = match country.trim().to_uppercase().as_str() {
            "US" | "USA" | "UNITED STATES" => "US",
            "CA" | "CANADA" => "CA",
            "GB" | "UK" | "UNITED KINGDOM" | "ENGLAND" | "SCOTLAND" | "WALES" => "GB",
            "FR" | "FRANCE" => "FR",
            "DE" | "GERMANY" | "DEUTSCHLAND" => "DE",
            "ES" | "SPAIN" | "ESPAÑA" => "ES",
            "IT" | "ITALY" | "ITALIA" => "IT",
            "NL" | "NETHERLANDS" | "THE NETHERLANDS" => "NL",
            "PT" | "PORTUGAL" => "PT",
            "AU" | "AUSTRALIA" => "AU",
            _ => "",
        };
        let (streets, number_first): (&'static [&'static str], bool) = match code {
            "FR" => (
                &[
                    "rue de la République",
                    "avenue Jean Jaurès",
                    "rue Victor Hugo",
                    "boulevard Voltaire",
                    "rue des Lilas",
                ],
                true,
            ),
            "DE" => (
                &[
                    "Hauptstraße",
                    "Bahnhofstraße",
                    "Schillerstraße",
                    "Gartenweg",
                    "Lindenallee",
                ],
                false,
            ),
            "ES" => (
                &[
                    "Calle Mayor",
                    "Calle de Alcalá",
                    "Avenida de la Constitución",
                    "Calle del Sol",
                ],
                false,
            ),
            "IT" => (
                &["Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante"],
                false,
            ),
            "NL" => (
                &["Dorpsstraat", "Kerkstraat", "Molenweg", "Stationsweg"],
                false,
            ),
            "PT" => (
                &[
                    "Rua Augusta",
                    "Rua da Liberdade",
                    "Avenida da República",
                    "Rua do Carmo",
                ],
                false,
            ),
            _ => (STREETS, true),
        };
        Local {
            code,
            streets,
            number_first,
        }
    }

    /// A number no real person can have (the table in docs/phantom.md): a range a regulator keeps for
    /// fiction where the country has one; elsewhere a national number that begins with
    /// `00`, the international prefix of every country here, which no national numbering
    /// plan can assign (dialled at home it would start an international call).
    fn phone(&self, rng: &mut Rng) -> String {
        let d = |rng: &mut Rng, n: u32| {
            (0..n)
                .map(|_| char::from(b'0' + rng.range(0, 9) as u8))
                .collect::<String>()
        };
        match self.code {
            "US" | "CA" => format!("+1 ({}) 555-01{:02}", rng.range(201, 989), rng.range(0, 99)),
            "GB" => format!("+44 7700 900{:03}", rng.range(0, 999)),
            "FR" => format!("+33 1 99 00 {} {}", d(rng, 2), d(rng, 2)),
            "AU" => format!("+61 2 5550 {}", d(rng, 4)),
            "DE" => format!("+49 00{} {}", d(rng, 2), d(rng, 6)),
            "ES" => format!("+34 00{} {} {}", d(rng, 1), d(rng, 3), d(rng, 3)),
            "IT" => format!("+39 00{} {} {}", d(rng, 1), d(rng, 3), d(rng, 4)),
            "NL" => format!("+31 00{} {}", d(rng, 1), d(rng, 6)),
            "PT" => format!("+351 00{} {} {}", d(rng, 1), d(rng, 3), d(rng, 3)),
            // A country without a table here: the North American fiction range.
            _ => format!("+1 ({}) 555-01{:02}", rng.range(201, 989), rng.range(0, 99)),
        }
    }

    /// A postcode of the persona's own city, from the start the city's real postcodes
    /// share ([`CITY_POSTCODES`]); a city not in the table gets one that no place has (a
    /// start the country never uses), never a real place somewhere else.
    fn postal(&self, city: &str, rng: &mut Rng) -> String {
        let letter = |rng: &mut Rng| char::from(b'A' + rng.range(0, 25) as u8);
        let digits = |rng: &mut Rng, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b'0' + rng.range(0, 9) as u8))
                .collect()
        };
        let city = city.trim().to_lowercase();
        let known = CITY_POSTCODES
            .iter()
            .find(|(code, name, _)| *code == self.code && *name == city)
            .map(|(_, _, start)| *start);
        match (self.code, known) {
            ("CA", start) => {
                // No Canadian postcode starts with D.
                let fsa = start.map_or_else(
                    || format!("D{}{}", digits(rng, 1), letter(rng)),
                    str::to_string,
                );
                format!("{fsa} {}{}{}", digits(rng, 1), letter(rng), digits(rng, 1))
            }
            ("GB", start) => {
                // No UK postcode area starts with X.
                let outward =
                    start.map_or_else(|| format!("XX{}", rng.range(1, 9)), str::to_string);
                format!("{outward} {}{}{}", digits(rng, 1), letter(rng), letter(rng))
            }
            ("NL", start) => {
                let start = start.unwrap_or("0"); // Dutch postcodes run from 1000
                format!(
                    "{start}{} {}{}",
                    digits(rng, 4 - start.len()),
                    letter(rng),
                    letter(rng)
                )
            }
            ("PT", start) => {
                let start = start.unwrap_or("0"); // Portuguese postcodes run from 1000
                format!("{start}{}-{}", digits(rng, 4 - start.len()), digits(rng, 3))
            }
            ("AU", start) => {
                let start = start.unwrap_or("00"); // none below 0200
                format!("{start}{}", digits(rng, 4 - start.len()))
            }
            // Italy's postcodes end at 98…, the lowest US ZIP is 00501; elsewhere here (FR,
            // DE, ES) none starts 00.
            ("IT", None) => format!("99{}", digits(rng, 3)),
            ("US", None) => format!("000{}", digits(rng, 2)),
            (_, start) => {
                let start = start.unwrap_or("00");
                format!("{start}{}", digits(rng, 5 - start.len()))
            }
        }
    }

    fn address(&self, street: &str, city: &str, region: &str, postal: &str) -> String {
        match self.code {
            "US" | "CA" | "AU" => format!("{street}, {city}, {region} {postal}"),
            "GB" => format!("{street}, {city} {postal}"),
            "IT" if !region.is_empty() => format!("{street}, {postal} {city} ({region})"),
            _ => format!("{street}, {postal} {city}"),
        }
    }
}

fn form_data(rng: &mut Rng, ctx: &Value) -> Result<Value, String> {
    let persona = &ctx["persona"];
    let name = persona["name"].as_str().unwrap_or("Alex Morgan");
    let (first, last) = name.split_once(' ').unwrap_or((name, "Morgan"));
    // "City, Region, CC", "City, CC" or anything a user typed: every part non-empty.
    let loc: Vec<&str> = persona["location"]
        .as_str()
        .unwrap_or("Portland, Oregon, US")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let (city, region, country) = match loc.as_slice() {
        [] => ("Portland", "Oregon", "US"),
        [city] => (*city, *city, "US"),
        [city, country] => (*city, *city, *country),
        [city, region, country, ..] => (*city, *region, *country),
    };
    let age = persona["age"].as_u64().unwrap_or(34);
    let year = ctx["year"].as_u64().unwrap_or(2026);
    let ascii = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    let digits = rng.range(10, 99);
    let email_domain = *rng.pick(&["gmail.com", "outlook.com", "proton.me", "yahoo.com"]);
    let local = Local::of(country);
    let phone = local.phone(rng);
    let postal = local.postal(city, rng);
    let number = rng.range(1, if local.number_first { 4800 } else { 180 });
    let street_name = *rng.pick(local.streets);
    let street = if local.number_first {
        format!("{number} {street_name}")
    } else {
        format!("{street_name} {number}")
    };
    let dob = format!(
        "{}-{:02}-{:02}",
        year.saturating_sub(age),
        rng.range(1, 12),
        rng.range(1, 28)
    );
    let company = format!(
        "{} {}",
        rng.pick(LAST_NAMES),
        rng.pick(&["& Co", "Group", "Partners", "Studio", "Labs"])
    );
    let username = format!(
        "{}{}{}",
        ascii(first),
        &ascii(last).chars().take(1).collect::<String>(),
        digits
    );
    let occupation = persona["occupation"].as_str().unwrap_or("consultant");
    let mut out = Map::new();
    for f in ctx["fields"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let f = f.as_str().unwrap_or_default();
        let v = match f {
            "name" | "full_name" => name.to_string(),
            "first_name" => first.to_string(),
            "last_name" => last.to_string(),
            "email" => format!(
                "{}.{}{}@{}",
                ascii(first),
                ascii(last),
                digits,
                email_domain
            ),
            "phone" => phone.clone(),
            "address" => local.address(&street, city, region, &postal),
            "street" | "address_line1" => street.clone(),
            "city" => city.to_string(),
            "state" | "region" => region.to_string(),
            "zip" | "postal_code" => postal.clone(),
            "country" => country.to_string(),
            "birthday" | "date_of_birth" | "dob" => dob.clone(),
            "age" => age.to_string(),
            "occupation" | "job_title" => title_case(occupation),
            "company" => company.clone(),
            "username" => username.clone(),
            "website" => format!("https://{}{}.com", ascii(first), ascii(last)),
            other => return Err(format!("unknown form field {other}")),
        };
        out.insert(f.to_string(), Value::String(v));
    }
    Ok(Value::Object(out))
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_answer_other_seed_other_answer() {
        let a = generate("persona", 7, &json!({})).expect("persona");
        assert_eq!(a, generate("persona", 7, &json!({})).expect("persona"));
        let names: std::collections::HashSet<String> = (0..20)
            .map(|s| {
                generate("persona", s, &json!({})).expect("p")["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        assert!(names.len() >= 15, "varied names: {names:?}");
    }

    #[test]
    fn persona_is_complete_and_honours_hint() {
        let p = generate("persona", 3, &json!({"hint": "into coffee and cycling"})).expect("p");
        let interests: Vec<&str> = p["interests"]
            .as_array()
            .expect("a")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            interests.contains(&"coffee") && interests.contains(&"cycling"),
            "{interests:?}"
        );
        assert!((3..=5).contains(&interests.len()));
        assert!(p["age"].as_u64().is_some_and(|a| (22..=68).contains(&a)));
        assert!(p["description"]
            .as_str()
            .is_some_and(|d| d.contains("year-old")));
    }

    #[test]
    fn queries_match_the_persona_interests() {
        let persona =
            crate::schema!({"interests": ["coffee"], "location": "Lyon, Auvergne-Rhône-Alpes, FR"});
        let q = generate(
            "search_queries",
            1,
            &json!({"persona": persona, "count": 4}),
        )
        .expect("q");
        let coffee = words::interest("coffee").expect("coffee");
        for query in q["queries"].as_array().expect("queries") {
            let query = query.as_str().expect("str");
            assert!(
                coffee.queries.iter().any(|base| query.starts_with(base)),
                "{query}"
            );
        }
    }

    #[test]
    fn plan_steps_are_well_formed() {
        let persona = json!({"interests": ["hiking", "reading"]});
        let plan = generate("plan", 9, &json!({"persona": persona})).expect("plan");
        let steps = plan["steps"].as_array().expect("steps");
        assert!((6..=12).contains(&steps.len()));
        for s in steps {
            let action = s["action"].as_str().expect("action");
            assert!(["search", "visit", "scroll", "click", "shop"].contains(&action));
            match action {
                "search" => assert!(s["query"].is_string()),
                "visit" | "click" | "shop" => {
                    assert!(s["url"].as_str().is_some_and(|u| u.starts_with("https://")))
                }
                _ => {}
            }
            assert!(s["dwell_seconds"].as_u64().is_some_and(|d| d > 0));
        }
    }

    #[test]
    fn form_data_follows_the_persona() {
        let persona = crate::schema!({"name": "Lena Müller", "age": 41, "location": "Munich, Bavaria, DE", "occupation": "architect"});
        let f = generate("form_data", 5, &json!({"persona": persona, "fields": ["name", "email", "city", "dob", "phone"], "year": 2026}))
            .expect("form");
        assert_eq!(f["name"], "Lena Müller");
        assert_eq!(f["city"], "Munich");
        assert!(
            f["email"]
                .as_str()
                .is_some_and(|e| e.starts_with("lena.mller")),
            "{f}"
        );
        assert!(
            f["dob"].as_str().is_some_and(|d| d.starts_with("1985-")),
            "{f}"
        );
        assert!(generate(
            "form_data",
            5,
            &json!({"persona": persona, "fields": ["favourite_colour"]})
        )
        .is_err());
    }

    #[test]
    fn any_location_gives_every_field() {
        for location in ["0", "Dublin, IE", " , ", "A, B, C, D"] {
            let persona = json!({"name": "X", "location": location});
            let f = generate(
                "form_data",
                1,
                &json!({"persona": persona,
                "fields": ["region", "state", "city", "country", "address", "postal_code"]}),
            );
            assert!(f.is_ok(), "{location}: {f:?}");
        }
    }

    #[test]
    fn addresses_and_phones_follow_the_country() {
        let lyon = crate::schema!({"name": "Camille Martin", "location": "Lyon, Auvergne-Rhône-Alpes, FR"});
        let f = generate(
            "form_data",
            3,
            &json!({"persona": lyon, "fields": ["address", "phone", "postal_code"]}),
        )
        .expect("f");
        let address = f["address"].as_str().unwrap_or("");
        let postal = f["postal_code"].as_str().unwrap_or("");
        assert!(address.ends_with(&format!("{postal} Lyon")), "{f}");
        assert!(
            ["rue", "avenue", "boulevard"]
                .iter()
                .any(|w| address.contains(w)),
            "{f}"
        );
        assert!(
            f["phone"].as_str().is_some_and(|p| p.starts_with("+33 ")),
            "{f}"
        );
        let berlin = crate::schema!({"name": "Jonas Weber", "location": "Berlin, Berlin, Germany"});
        let f = generate(
            "form_data",
            3,
            &json!({"persona": berlin, "fields": ["address", "phone"]}),
        )
        .expect("f");
        assert!(
            f["phone"].as_str().is_some_and(|p| p.starts_with("+49 ")),
            "{f}"
        );
        assert!(
            f["address"]
                .as_str()
                .is_some_and(|a| a.contains("Berlin") && !a.contains(", Berlin, Berlin")),
            "{f}"
        );
    }

    /// Every country's numbers, over many personas, are in their documented range.
    #[test]
    fn phone_numbers_never_reach_a_real_person() {
        let cases: &[(&str, &str)] = &[
            ("US", "+1 ("),
            ("Canada", "+1 ("),
            ("GB", "+44 7700 900"),
            ("FR", "+33 1 99 00 "),
            ("AU", "+61 2 5550 "),
            ("DE", "+49 00"),
            ("ES", "+34 00"),
            ("IT", "+39 00"),
            ("NL", "+31 00"),
            ("PT", "+351 00"),
            ("CH", "+1 ("),
            ("Japan", "+1 ("),
        ];
        for (country, prefix) in cases {
            for seed in 0..200 {
                let persona = json!({"name": "Sam Lee", "location": format!("Town, {country}")});
                let f = generate(
                    "form_data",
                    seed,
                    &json!({"persona": persona, "fields": ["phone"]}),
                )
                .expect("form data");
                let phone = f["phone"].as_str().unwrap_or("");
                assert!(phone.starts_with(prefix), "{country}: {phone}");
                if prefix.starts_with("+1") {
                    assert!(phone.contains(") 555-01"), "{country}: {phone}");
                }
                let digits = phone.chars().filter(char::is_ascii_digit).count();
                assert!((10..=13).contains(&digits), "{country}: {phone}");
            }
        }
    }

    /// A known city's postcode starts like the city's real ones; an unknown city's cannot
    /// be anyone's.
    #[test]
    fn postcodes_belong_to_the_city_or_to_nowhere() {
        let cases: &[(&str, &str)] = &[
            ("Austin, Texas, US", "787"),
            ("Lyon, Auvergne-Rhône-Alpes, FR", "6900"),
            ("Berlin, Berlin, Germany", "10"),
            ("Toronto, Ontario, Canada", "M5V "),
            ("Leeds, England, GB", "LS1 "),
            ("Porto, Norte, PT", "4"),
            ("Springfield, Illinois, US", "000"),
            ("Smallville, FR", "00"),
            ("Nowhere, Canada", "D"),
            ("Nowhere, GB", "XX"),
            ("Nowhere, NL", "0"),
            ("Nowhere, Italy", "99"),
            ("Nowhere, Australia", "00"),
            ("Atlantis, Wakanda", "00"),
        ];
        for (location, start) in cases {
            for seed in 0..50 {
                let persona = json!({"name": "Sam Lee", "location": location});
                let f = generate(
                    "form_data",
                    seed,
                    &json!({"persona": persona, "fields": ["postal_code"]}),
                )
                .expect("form data");
                let postal = f["postal_code"].as_str().unwrap_or("");
                assert!(postal.starts_with(start), "{location}: {postal}");
            }
        }
    }

    #[test]
    fn us_phone_numbers_use_the_fictional_range() {
        let persona = crate::schema!({"name": "Ava Park", "location": "Austin, Texas, US"});
        let f = generate(
            "form_data",
            2,
            &json!({"persona": persona, "fields": ["phone", "zip"]}),
        )
        .expect("f");
        assert!(
            f["phone"].as_str().is_some_and(|p| p.contains(") 555-01")),
            "{f}"
        );
        assert_eq!(f["zip"].as_str().map(str::len), Some(5));
    }
}
