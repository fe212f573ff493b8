// Shared by the corpus preparation and the tokenizer training: documents in
// training/data/{train,val}.txt are separated by this character (absent from the corpus).
export const DOC_SEPARATOR = '\u0000';
