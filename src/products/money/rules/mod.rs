//! Money's pure rules: amounts, exact splits, what a chat message asks, insights, the demo
//! history and the card catalogue. Plain Rust over plain data, unit-tested natively.

pub mod amounts;
pub mod cards;
pub mod demo;
pub mod insights;
pub mod intent;
pub mod split;

/// Spending categories, as transactions carry them.
pub const CATEGORIES: &[&str] = &[
    "groceries",
    "dining",
    "transport",
    "shopping",
    "subscriptions",
    "travel",
    "entertainment",
    "utilities",
    "health",
    "other",
];

/// The category of a merchant by its name (known merchants, then words in the name).
pub fn category_of(merchant: &str) -> &'static str {
    let m = merchant.to_lowercase();
    const KNOWN: &[(&str, &str)] = &[
        ("whole foods", "groceries"),
        ("trader joe", "groceries"),
        ("safeway", "groceries"),
        ("kroger", "groceries"),
        ("instacart", "groceries"),
        ("costco", "groceries"),
        ("doordash", "dining"),
        ("uber eats", "dining"),
        ("grubhub", "dining"),
        ("chipotle", "dining"),
        ("sweetgreen", "dining"),
        ("starbucks", "dining"),
        ("café", "dining"),
        ("cafe", "dining"),
        ("restaurant", "dining"),
        ("pizza", "dining"),
        ("lyft", "transport"),
        ("uber", "transport"),
        ("mta", "transport"),
        ("shell", "transport"),
        ("chevron", "transport"),
        ("netflix", "subscriptions"),
        ("spotify", "subscriptions"),
        ("hulu", "subscriptions"),
        ("gym", "subscriptions"),
        ("icloud", "subscriptions"),
        ("amazon", "shopping"),
        ("target", "shopping"),
        ("walmart", "shopping"),
        ("best buy", "shopping"),
        ("airbnb", "travel"),
        ("delta", "travel"),
        ("united", "travel"),
        ("marriott", "travel"),
        ("cvs", "health"),
        ("walgreens", "health"),
        ("con edison", "utilities"),
        ("verizon", "utilities"),
        ("comcast", "utilities"),
        ("amc", "entertainment"),
        ("ticketmaster", "entertainment"),
    ];
    KNOWN
        .iter()
        .find(|(k, _)| m.contains(k))
        .map_or("other", |(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn merchants_fall_into_categories() {
        assert_eq!(super::category_of("Whole Foods Market"), "groceries");
        assert_eq!(super::category_of("Uber Eats"), "dining", "before Uber");
        assert_eq!(super::category_of("Uber"), "transport");
        assert_eq!(super::category_of("Bob's Hardware"), "other");
    }
}
