//! Prints the OpenAPI document the worker serves at `/openapi.json`, built natively from
//! the same route table (`make client` generates the TypeScript client from it).

fn main() {
    edge_api::platform::product::install(edge_api::products::ALL);
    println!("{:#}", edge_api::platform::openapi::openapi_document());
}
