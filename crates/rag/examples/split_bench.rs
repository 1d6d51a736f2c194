//! Times cleaning and splitting of a large synthetic text: `cargo run --release -p rag --example split_bench`.

use std::time::Instant;

use rag::rules::ProcessRule;
use rag::split::split_documents;

fn main() {
    let paragraph = "Retrieval augmented generation splits documents into segments. Each segment is embedded \
                     and stored, and the closest ones are added to the prompt when a question comes in.\n\n";
    let english = paragraph.repeat(5_000); // ~1 MB
    let chinese =
        "检索增强生成把文档切分成片段，每个片段都会被嵌入并存储，提问时把最接近的片段加入提示词".repeat(10_000);
    for (name, text) in [("english", english), ("chinese", chinese)] {
        let start = Instant::now();
        let chunks = split_documents(std::slice::from_ref(&text), &ProcessRule::automatic(), &|_| 0);
        println!("{name}: {} bytes -> {} chunks in {:?}", text.len(), chunks.len(), start.elapsed());
    }
}
