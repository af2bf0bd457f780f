use regex::Regex;
use serde::{Deserialize, Serialize};

/// The oven temperature, baked in by build.rs.
pub const OVEN_TEMP: &str = env!("RECIPES_OVEN_TEMP");

#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("not a recipe line: {0:?}")]
    BadLine(String),
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Ingredient {
    pub name: String,
    pub grams: u32,
}

/// Parses "200g flour" style lines.
pub fn parse(line: &str) -> Result<Ingredient, RecipeError> {
    let re = Regex::new(r"^(\d+)g\s+(\w+)$").unwrap();
    let caps = re
        .captures(line.trim())
        .ok_or_else(|| RecipeError::BadLine(line.to_string()))?;
    Ok(Ingredient {
        name: caps[2].to_string(),
        grams: caps[1].parse().unwrap(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_a_line() {
        assert_eq!(super::parse("200g flour").unwrap().grams, 200);
        assert!(super::parse("a pinch of salt").is_err());
    }
}
