/**
 * Value pools and phrasings of the demo's synthetic order texts. Names, cities and items are split once, by the
 * seed, into values used for training/validation and values kept for the held-out test records, so every test text
 * mentions a customer, a city and an item the training never shows.
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

/** Quantities are written as words in the text and as numbers in the JSON. */
export const QUANTITY_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

/** Each label of a field has several phrasings in the text; the JSON holds the label. */
export const SHIPPING_PHRASES: Record<string, readonly string[]> = {
  express: ["as fast as possible", "by express delivery", "urgently", "overnight"],
  standard: ["with standard shipping", "whenever convenient", "by regular mail", "with no rush"],
};

export const PAYMENT_SENTENCES: Record<string, readonly string[]> = {
  card: ["Paying by card.", "I will pay with a credit card.", "Charge my debit card."],
  cash: ["Paying cash on delivery.", "I will pay in cash.", "Cash is fine."],
  invoice: ["Please send an invoice.", "Bill it to our company account.", "We pay on invoice."],
};

export const CONTACT_SENTENCES: Record<string, readonly string[]> = {
  email: ["Reach me by email.", "Email me the tracking number.", "Send updates to my email."],
  phone: ["Call me when it ships.", "Phone me with any questions.", "Text me before delivery."],
};

/** Present only when the order is a gift. */
export const GIFT_SENTENCES = ["It is a gift.", "Please gift-wrap it.", "This is a present."];
