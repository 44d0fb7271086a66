#include "SeedData.h"

#include <array>
#include <cctype>
#include <cstdio>

namespace streamlab::server {

namespace {

constexpr std::array kFirstNames = {
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Mia", "Lucas",
    "Harper", "Mateo", "Evelyn", "Levi", "Aria", "Ethan", "Chloe", "Hiroshi", "Yuki", "Priya",
    "Arjun", "Fatima", "Omar", "Leila", "Jonas", "Greta", "Lukas", "Anna", "Pierre", "Camille",
    "Giulia", "Marco", "Sofia", "Diego", "Lucia", "Mateus", "Ana", "Kwame", "Amara", "Chen",
    "Wei", "Mei", "Ingrid", "Lars", "Astrid", "Nikolai", "Olga", "Tomasz", "Zofia", "Aisha",
    "Rafael", "Isabela", "Sean", "Niamh", "Kofi", "Zainab", "Ravi", "Ananya", "Elif", "Emre"};

constexpr std::array kLastNames = {
    "Smith", "Johnson", "Garcia", "Martinez", "Brown", "Davis", "Miller", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Tanaka", "Suzuki", "Sato", "Patel", "Sharma", "Khan", "Haddad", "Nguyen", "Kim", "Park",
    "Schmidt", "Schneider", "Fischer", "Weber", "Dubois", "Laurent", "Rossi", "Bianchi", "Ferrari", "Silva",
    "Santos", "Oliveira", "Mensah", "Okafor", "Wang", "Li", "Zhang", "Nielsen", "Johansson", "Larsen",
    "Ivanov", "Kowalski", "Nowak", "Hussein", "Costa", "Murphy", "Kelly", "Boateng", "Yilmaz", "Demir"};

constexpr std::array kCompanies = {
    "Northwind Traders", "Contoso Ltd", "Globex", "Initech", "Umbrella Health", "Hooli", "Stark Logistics",
    "Wayne Analytics", "Acme Robotics", "Blue Harbor Bank", "Cobalt Systems", "Lumen Labs", "Evergreen Foods",
    "Polar Freight", "Orbit Media", "Greenfield Energy", "Summit Insurance", "Vertex Pharma", "Nimbus Cloud",
    "Redwood Studios"};

constexpr std::array kJobTitles = {
    "Software Engineer", "Product Manager", "Data Analyst", "Site Reliability Engineer", "UX Designer",
    "Account Executive", "Support Specialist", "Engineering Manager", "QA Engineer", "DevOps Engineer",
    "Marketing Lead", "Financial Controller", "Research Scientist", "Technical Writer", "Security Analyst"};

struct Place {
    const char* city;
    const char* country;
    const char* phonePrefix;
};
constexpr std::array kPlaces = {
    Place{"Berlin", "Germany", "+49 30"},         Place{"Munich", "Germany", "+49 89"},
    Place{"Paris", "France", "+33 1"},            Place{"Lyon", "France", "+33 4"},
    Place{"London", "United Kingdom", "+44 20"},  Place{"Dublin", "Ireland", "+353 1"},
    Place{"Madrid", "Spain", "+34 91"},           Place{"Milan", "Italy", "+39 02"},
    Place{"Stockholm", "Sweden", "+46 8"},        Place{"Warsaw", "Poland", "+48 22"},
    Place{"New York", "United States", "+1 212"}, Place{"Austin", "United States", "+1 512"},
    Place{"Toronto", "Canada", "+1 416"},         Place{"São Paulo", "Brazil", "+55 11"},
    Place{"Tokyo", "Japan", "+81 3"},             Place{"Seoul", "South Korea", "+82 2"},
    Place{"Bengaluru", "India", "+91 80"},        Place{"Singapore", "Singapore", "+65"},
    Place{"Sydney", "Australia", "+61 2"},        Place{"Accra", "Ghana", "+233 30"},
    Place{"Nairobi", "Kenya", "+254 20"},         Place{"Istanbul", "Türkiye", "+90 212"}};

constexpr std::array kDomains = {"example.com", "example.org", "example.net", "mail.example.com"};

std::string lowerAscii(const char* text)
{
    std::string result;
    for (const char* p = text; *p; ++p)
        if (std::isalpha(static_cast<unsigned char>(*p)))
            result += char(std::tolower(static_cast<unsigned char>(*p)));
    return result;
}

template <typename Array>
auto pick(std::mt19937_64& rng, const Array& array)
{
    return array[std::uniform_int_distribution<size_t>(0, array.size() - 1)(rng)];
}

} // namespace

UserRecord makeSeedUser(int64_t id)
{
    std::mt19937_64 rng(0x5eed0000ULL + uint64_t(id));
    const char* first = pick(rng, kFirstNames);
    const char* last = pick(rng, kLastNames);
    const Place place = pick(rng, kPlaces);

    UserRecord user;
    user.id = id;
    user.name = std::string(first) + " " + last;
    user.username = lowerAscii(first) + "." + lowerAscii(last) + std::to_string(id);
    user.email = lowerAscii(first) + "." + lowerAscii(last) + std::to_string(id % 100) + "@" + pick(rng, kDomains);
    user.company = pick(rng, kCompanies);
    user.jobTitle = pick(rng, kJobTitles);
    user.city = place.city;
    user.country = place.country;
    char phone[64];
    std::snprintf(phone, sizeof phone, "%s %03u %04u", place.phonePrefix, unsigned(rng() % 1000), unsigned(rng() % 10000));
    user.phone = phone;
    // Accounts created between 2019-01-01 and 2023-12-31.
    user.createdAtMs = 1546300800000 + int64_t(rng() % (1826ULL * 24 * 3600 * 1000));
    return user;
}

EventFactory::EventFactory(uint64_t seed) : rng_(seed) {}

const std::vector<std::string>& EventFactory::types()
{
    static const std::vector<std::string> kTypes = {
        "user.signup", "user.login", "order.created", "order.shipped", "payment.succeeded",
        "payment.failed", "deploy.finished", "alert.raised", "sensor.reading"};
    return kTypes;
}

EventRecord EventFactory::make(int64_t timeMs)
{
    // Weighted like a real shop: many logins and readings, few alerts.
    static const std::array<int, 9> kWeights = {4, 22, 12, 9, 10, 2, 3, 2, 36};
    std::discrete_distribution<int> typeDist(kWeights.begin(), kWeights.end());
    const int type = typeDist(rng_);
    const int64_t userId = 1 + int64_t(rng_() % 1000);
    char data[320];
    switch (type) {
    case 0:
        std::snprintf(data, sizeof data, R"({"user_id":%lld,"plan":"%s","referrer":"%s"})", (long long)userId,
                      pick(rng_, std::array{"free", "pro", "team"}), pick(rng_, std::array{"search", "ad", "friend", "blog"}));
        break;
    case 1:
        std::snprintf(data, sizeof data, R"({"user_id":%lld,"ip":"10.%u.%u.%u","method":"%s"})", (long long)userId,
                      unsigned(rng_() % 256), unsigned(rng_() % 256), unsigned(1 + rng_() % 254),
                      pick(rng_, std::array{"password", "sso", "passkey"}));
        break;
    case 2:
    case 3: {
        if (type == 2)
            ++orderCounter_;
        const unsigned cents = unsigned(500 + rng_() % 50000);
        std::snprintf(data, sizeof data, R"({"order_id":"ORD-%06llu","user_id":%lld,"amount":%u.%02u,"currency":"%s","items":%u})",
                      (unsigned long long)(orderCounter_ ? orderCounter_ : 1), (long long)userId, cents / 100, cents % 100,
                      pick(rng_, std::array{"EUR", "USD", "GBP"}), unsigned(1 + rng_() % 6));
        break;
    }
    case 4:
    case 5: {
        const unsigned cents = unsigned(500 + rng_() % 50000);
        std::snprintf(data, sizeof data, R"({"payment_id":"pay_%012llx","user_id":%lld,"amount":%u.%02u%s})",
                      (unsigned long long)(rng_() & 0xffffffffffffULL), (long long)userId, cents / 100, cents % 100,
                      type == 5 ? pick(rng_, std::array{R"(,"reason":"card_declined")", R"(,"reason":"insufficient_funds")", R"(,"reason":"expired_card")"}) : "");
        break;
    }
    case 6:
        std::snprintf(data, sizeof data, R"({"service":"%s","version":"1.%u.%u","duration_s":%u,"result":"%s"})",
                      pick(rng_, std::array{"checkout", "search", "auth", "catalog", "billing"}), unsigned(rng_() % 20),
                      unsigned(rng_() % 50), unsigned(30 + rng_() % 600), rng_() % 10 ? "success" : "rolled_back");
        break;
    case 7:
        std::snprintf(data, sizeof data, R"({"alert":"%s","severity":"%s","host":"web-%02u"})",
                      pick(rng_, std::array{"high_latency", "error_rate", "disk_almost_full", "cpu_saturated"}),
                      pick(rng_, std::array{"warning", "critical"}), unsigned(1 + rng_() % 24));
        break;
    default: {
        const int tenths = int(180 + rng_() % 120);
        std::snprintf(data, sizeof data, R"({"sensor":"th-%03u","temperature_c":%d.%d,"humidity_pct":%u})",
                      unsigned(1 + rng_() % 64), tenths / 10, tenths % 10, unsigned(30 + rng_() % 40));
        break;
    }
    }
    EventRecord event;
    event.timeMs = timeMs;
    event.type = types()[size_t(type)];
    event.data = data;
    return event;
}

} // namespace streamlab::server
