/**
 * Value pools of the demo's synthetic extraction task. Each pool is split once, by the seed, into values used
 * for training/validation and values kept for the held-out test records, so no test value is ever trained on.
 */
export const FIRST_NAMES = [
  "Anna", "Maria", "John", "David", "Laura", "Peter", "Sarah", "Paul", "Emma", "James", "Linda", "Mark", "Alice",
  "Thomas", "Julia", "Daniel", "Helen", "Robert", "Sophie", "Michael", "Karen", "Steven", "Nina", "George", "Clara",
  "Frank", "Olivia", "Henry", "Rosa", "Victor", "Diana", "Oscar", "Elena", "Martin", "Lucy", "Simon", "Grace",
  "Albert", "Irene", "Walter", "Vera", "Hugo", "Emily", "Louis", "Eva", "Adam", "Marie", "Jack", "Kate", "Leo",
  "Ruth", "Carl", "Jane", "Max", "Rita", "Ben", "Amy", "Sam", "Lisa", "Tom",
];

export const CITIES = [
  "Paris", "London", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Dublin", "Boston", "Chicago", "Denver",
  "Seattle", "Houston", "Toronto", "Sydney", "Tokyo", "Oslo", "Lisbon", "Athens", "Warsaw", "Munich", "Milan",
  "Geneva", "Zurich", "Brussels", "Amsterdam", "Stockholm", "Helsinki", "Dallas", "Miami", "Austin", "Phoenix",
  "Atlanta", "Portland", "Detroit", "Montreal", "Vancouver", "Melbourne", "Cairo", "Moscow",
];

export const ITEMS = [
  "lamp", "chair", "table", "book", "pen", "clock", "mirror", "bottle", "basket", "candle", "blanket", "pillow",
  "kettle", "camera", "guitar", "helmet", "jacket", "ladder", "hammer", "wallet", "bucket", "carpet", "violin",
  "teapot", "shovel", "radio", "sofa", "bench", "drum", "rope", "brush", "plate", "spoon", "knife", "towel",
  "poster", "tent", "bicycle", "scarf", "glove",
];

/** Quantities are written as words in the text and as numbers in the JSON: a field derived, not copied. */
export const QUANTITY_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

/** Delivery speed: several phrasings per value, mapped to one label. */
export const SHIPPING_PHRASES: Record<string, readonly string[]> = {
  express: ["as fast as possible", "by express delivery", "urgently", "overnight"],
  standard: ["with standard shipping", "whenever convenient", "by regular mail", "with no rush"],
};
