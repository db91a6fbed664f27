// The Chrome trace-event timeline (sim/timeline.h): well-formed JSON with a
// track per component, slices for steps, instants for faults and
// violations, and flows from writes to notifications.
#include "sim/timeline.h"

#include <map>
#include <set>
#include <string>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

TEST(TimelineTest, RunBecomesWellFormedChromeJsonWithItsTracks) {
  absl::StatusOr<SimOptions> o = OptionsFromFlags(
      {"--scenario=calm", "--duration=6s", "--objects=10", "--write_rate=5", "--seed=3",
       "--faults=2s:break,4s:restart"});
  ASSERT_TRUE(o.ok()) << o.status();
  o->keep_trace = true;
  // A user invariant that fails once, for a violation on the timeline.
  o->invariants.push_back(UserInvariant{"first-point", UserInvariant::When::kQuiescent,
                                        [](const InvariantContext& c) {
                                          return c.at() < absl::Seconds(1)
                                                     ? absl::InternalError("early")
                                                     : absl::OkStatus();
                                        }});
  o->replay = "test";
  absl::StatusOr<SimResult> r = RunSimulation(*o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->trace.steps().empty());

  const std::string json = TimelineJson(r->trace);
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(parsed.fields().count("traceEvents"));
  const auto& events = parsed.fields().at("traceEvents").list_value().values();

  std::set<std::string> tracks;
  std::map<std::string, int> phases;
  std::set<std::string> instants;
  for (const auto& e : events) {
    const auto& f = e.struct_value().fields();
    const std::string ph = f.at("ph").string_value();
    ++phases[ph];
    if (ph == "M" && f.at("name").string_value() == "thread_name") {
      tracks.insert(f.at("args").struct_value().fields().at("name").string_value());
    }
    if (ph == "i") instants.insert(f.at("name").string_value());
    if (ph == "X") {
      EXPECT_TRUE(f.count("ts") && f.count("dur") && f.count("tid"));
    }
  }
  for (const char* want : {"phases", "instance-0", "reflector", "informer", "writes",
                           "handler-0", "faults injected", "violations", "workload"}) {
    EXPECT_EQ(tracks.count(want), 1u) << want;
  }
  EXPECT_EQ(phases["X"], r->trace.steps_size());
  EXPECT_GT(phases["s"], 0);
  EXPECT_EQ(phases["s"], phases["f"]);  // every flow ends at a notification
  EXPECT_EQ(instants.count("FAULT restart"), 1u);
  EXPECT_EQ(instants.count("FAULT watch_break") + instants.count("FAULT break"), 1u);
  EXPECT_EQ(instants.count("VIOLATION USER:first-point"), 1u);
}

TEST(TimelineTest, EscapesStrings) {
  Trace trace;
  trace.mutable_header()->set_seed(1);
  TraceStep* step = trace.add_steps();
  step->set_kind(FAULT);
  step->set_actor("a\"b\\c");
  step->set_detail("line\nnext\ttab\x01");
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(TimelineJson(trace), &parsed);
  ASSERT_TRUE(status.ok()) << status.ToString();
  bool found = false;
  for (const auto& e : parsed.fields().at("traceEvents").list_value().values()) {
    const auto& f = e.struct_value().fields();
    if (f.at("ph").string_value() != "X") continue;
    const auto& args = f.at("args").struct_value().fields();
    EXPECT_EQ(args.at("actor").string_value(), "a\"b\\c");
    EXPECT_EQ(args.at("detail").string_value(), "line\nnext\ttab\x01");
    found = true;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
