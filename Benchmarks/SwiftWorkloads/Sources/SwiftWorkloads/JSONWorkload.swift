// JSON round trip of a large document: a catalogue of orders with nested arrays, dictionaries,
// optionals and many short strings, encoded with JSONEncoder and decoded with JSONDecoder, the way
// a Swift server or tool handles its data. The decoded document must equal the original.
import Foundation

enum JSONWorkload {
    struct Item: Codable, Equatable {
        var sku: String
        var title: String
        var quantity: Int
        var price: Double
        var tags: [String]
    }

    struct Order: Codable, Equatable {
        var id: Int
        var customer: String
        var email: String?
        var items: [Item]
        var attributes: [String: String]
    }

    struct Catalogue: Codable, Equatable {
        var name: String
        var orders: [Order]
    }

    static func makeCatalogue(orders count: Int, seed: Int) -> Catalogue {
        var rng = SplitMix(seed: UInt64(seed))
        let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]
        var orders: [Order] = []
        for id in 0..<count {
            var items: [Item] = []
            for n in 0..<(1 + Int(rng.next() % 6)) {
                let tags = (0..<Int(rng.next() % 4)).map { _ in words[Int(rng.next() % 9)] }
                items.append(Item(sku: "SKU-\(id)-\(n)", title: "\(words[n % 9]) \(words[id % 9]) item",
                                  quantity: Int(rng.next() % 100), price: Double(rng.next() % 100_000) / 100,
                                  tags: tags))
            }
            var attributes: [String: String] = [:]
            for k in 0..<Int(rng.next() % 5) { attributes["key\(k)"] = "value-\(rng.next() % 1000)" }
            orders.append(Order(id: id, customer: "customer \(id % 977)",
                                email: id % 3 == 0 ? nil : "user\(id)@example.com", items: items,
                                attributes: attributes))
        }
        return Catalogue(name: "catalogue-\(seed)", orders: orders)
    }

    static func run(smoke: Bool) -> Bool {
        let rounds = smoke ? 2 : 2
        let orders = smoke ? 2_000 : 20_000
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let decoder = JSONDecoder()
        for round in 0..<rounds {
            let catalogue = makeCatalogue(orders: orders, seed: round)
            guard let data = try? encoder.encode(catalogue),
                  let decoded = try? decoder.decode(Catalogue.self, from: data),
                  decoded == catalogue
            else { return false }
        }
        return true
    }
}
