use oven_macros::Describe;

#[derive(Describe)]
struct Sourdough;

fn main() -> anyhow::Result<()> {
    let lines = ["500g flour", "350g water", "10g salt"];
    let ingredients = lines
        .iter()
        .map(|l| recipes::parse(l))
        .collect::<Result<Vec<_>, _>>()?;
    println!(
        "{} at {}C: {}",
        Sourdough.describe(),
        recipes::OVEN_TEMP,
        serde_json::to_string(&ingredients)?
    );
    Ok(())
}
