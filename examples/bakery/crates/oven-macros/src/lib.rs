//! `#[derive(Describe)]`: a member derive macro, compiled from real sources
//! after a restore.
use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, DeriveInput};

#[proc_macro_derive(Describe)]
pub fn derive_describe(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let name = &input.ident;
    let text = name.to_string().to_lowercase();
    let expanded = quote! {
        impl #name {
            pub fn describe(&self) -> &'static str { #text }
        }
    };
    TokenStream::from(expanded)
}
