"""API tables generated in reverse from Spring `@RestController` classes (tree-sitter)."""

from __future__ import annotations

import pytest

from tasks.dsl import api_table, code_units, restful, spring
from tests.support import REPO

PROJECT = {
    "OrderController.java": """package com.acme.web;
/** REST endpoints for orders. */
@RestController
@RequestMapping("/api/orders")
public class OrderController {
    private final OrderService service;
    public OrderController(OrderService service) { this.service = service; }

    /** Places an order. Answers 201. */
    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public OrderResponse place(@Valid @RequestBody NewOrder order,
                               @RequestHeader("X-Request-Id") String requestId) {
        return service.place(order);
    }

    @GetMapping("/{id:\\\\d+}")
    public ResponseEntity<OrderResponse> findOne(@PathVariable("id") long orderId) {
        return ResponseEntity.ok(service.get(orderId));
    }

    @RequestMapping(value = "/{id}/lines", method = RequestMethod.PUT)
    public ResponseEntity<Void> replaceLines(@PathVariable long id, @RequestBody List<Line> lines,
                                             Pageable pageable) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).build();
    }

    @DeleteMapping("/{id}")
    public ResponseEntity<Void> cancel(@PathVariable long id,
                                       @RequestParam(name = "why") String reason,
                                       Mystery unknown) {
        service.cancel(id);
        return ResponseEntity.noContent().build();
    }

    private void helper() {}
}
""",
    "NewOrder.java": """package com.acme.web;
public record NewOrder(@NotNull String customer, List<Line> lines, java.time.LocalDate due) {}
""",
    "Line.java": "package com.acme.web;\nrecord Line(String sku, int quantity, Kind kind) {}\n",
    "Kind.java": "package com.acme.web;\npublic enum Kind { ITEM, FEE }\n",
    "OrderResponse.java": """package com.acme.web;
public class OrderResponse {
    private long id;
    private BigDecimal total;
    private boolean paid;
    private Map<String, String> tags;
    private static int COUNT;
}
""",
    "OrderService.java": """package com.acme.service;
public class OrderService {
    public OrderResponse get(long id) {
        return repository.findById(id).orElseThrow(() -> new NotFoundException("order"));
    }
    public void cancel(long id) {
        OrderResponse order = get(id);
        if (order.isPaid()) { throw new TooLateException("paid"); }
    }
    public OrderResponse place(NewOrder order) { return null; }
}
""",
    "NotFoundException.java": (
        "package com.acme;\npublic class NotFoundException extends RuntimeException {}\n"
    ),
    "TooLateException.java": (
        "package com.acme;\npublic class TooLateException extends ConflictException {}\n"
    ),
    "ConflictException.java": (
        "package com.acme;\npublic class ConflictException extends RuntimeException {}\n"
    ),
    "Problem.java": "package com.acme.web;\nrecord Problem(String code, String message) {}\n",
    "Errors.java": """package com.acme.web;
@RestControllerAdvice
public class Errors {
    @ExceptionHandler(NotFoundException.class)
    public ResponseEntity<Problem> notFound(NotFoundException e) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(new Problem("NF", "x"));
    }
    @ExceptionHandler({ConflictException.class})
    @ResponseStatus(HttpStatus.CONFLICT)
    public Problem conflict(ConflictException e) { return new Problem("C", "x"); }
    @ExceptionHandler(MethodArgumentNotValidException.class)
    public ResponseEntity<Problem> invalid(MethodArgumentNotValidException e) {
        return ResponseEntity.badRequest().body(new Problem(HttpStatus.BAD_REQUEST.name(), "x"));
    }
}
""",
}

PROBLEM = '{"code": String, "message": String}'
EXPECTED = f"""| API | Method | Description | Request | Response | Error Response |
| --- | --- | --- | --- | --- | --- |
| /api/orders | POST | Places an order | header {{"X-Request-Id": String}}; \
body {{"customer": String, "lines": [{{"sku": String, "quantity": Integer, "kind": String}}], \
"due": Date}} | \
201 {{"id": Integer, "total": Number, "paid": Boolean, "tags": Object}} | 400: {PROBLEM} |
| /api/orders/{{id}} | GET | Find one | path {{"id": Integer}} | \
200 {{"id": Integer, "total": Number, "paid": Boolean, "tags": Object}} | 404: {PROBLEM} |
| /api/orders/{{id}}/lines | PUT | Replace lines | path {{"id": Integer}}; \
query {{"page": Integer, "size": Integer, "sort": String}}; body [{{"sku": String, \
"quantity": Integer, "kind": String}}] | 202 |  |
| /api/orders/{{id}} | DELETE | Cancel | path {{"id": Integer}}; query {{"why": String}} | 204 | \
404: {PROBLEM}; 409: {PROBLEM} |"""


def _controllers(files: dict[str, str]) -> list[spring.Controller]:
    units = {name: code_units.parse_java(text, name) for name, text in files.items()}
    return spring.controllers(files, units)


def test_given_a_spring_project_when_read_then_the_table_matches_golden():
    (controller,) = _controllers(PROJECT)
    assert controller.section == "Orders"
    assert controller.summary == "REST endpoints for orders"
    table = api_table.render_table(controller.operations)
    assert table == EXPECTED
    assert api_table.validate(table) == []


def test_given_a_controller_when_read_then_its_assets_are_the_files_the_cells_come_from():
    (controller,) = _controllers(PROJECT)
    # DTOs whose fields appear and the advice that gives the error bodies, but not the services
    # and exceptions that only tell which errors can happen.
    assert controller.assets == {
        "OrderController.java", "NewOrder.java", "Line.java", "OrderResponse.java",
        "Problem.java", "Errors.java",
    }  # fmt: skip


def test_given_a_dto_that_is_not_among_the_assets_when_rendered_then_it_is_an_object():
    files = {name: text for name, text in PROJECT.items() if name != "NewOrder.java"}
    (controller,) = _controllers(files)
    assert controller.operations[0].request == 'header {"X-Request-Id": String}; body Object'
    assert controller.operations[0].errors == f"400: {PROBLEM}"  # @Valid still means 400


def test_given_no_rest_controller_when_read_then_nothing_is_found():
    plain = {"Plain.java": "@Controller\npublic class Plain {\n  @GetMapping(\"/x\") String x() {"
             " return \"view\"; }\n}\n"}  # fmt: skip
    assert _controllers(plain) == []


def test_given_the_sample_standing_order_controller_when_read_then_codes_follow_the_code():
    web = REPO / "samples/java/payments-service/src/main/java/com/acme/payments"
    files = {str(p.relative_to(web)): p.read_text("utf-8") for p in web.rglob("*.java")}
    found = {c.name: c for c in _controllers(files)}
    assert set(found) == {"AccountController", "PayeeController", "StandingOrderController",
                          "LegacyNewsController", "NewsPostController"}  # fmt: skip
    operations = {(op.method, op.path): op for op in found["StandingOrderController"].operations}
    create = operations[("POST", "/accounts/{accountId}/standing-orders")]
    assert create.response.startswith("201 {") and create.errors.startswith("400: {")
    assert "422: {" in create.errors  # BusinessRuleException thrown by the service
    assert operations[("DELETE", "/standing-orders/{orderId}")].response == "204"
    assert operations[("GET", "/standing-orders/{orderId}")].errors.startswith("404: {")
    for name, controller in found.items():
        table = api_table.render_table(controller.operations)
        assert api_table.validate(table) == []
        problems = restful.lint(api_table.parse_table(table))
        # the seeds' habit, kept in the samples for curation to keep out (test_curation.py)
        assert bool(problems) == (name == "LegacyNewsController"), (name, problems)


BLOG = REPO / "tests/dsl/fixtures/spring_blog"
BLOG_SETTINGS = {"application.properties": (BLOG / "application.properties").read_text("utf-8")}
PROFILE = '{"handle": String, "bio": String, "following": Boolean}'
MEMBER = '{"member": {"email": String, "handle": String, "bio": String, "token": String}}'
POST_DATA = (
    '{"slug": String, "title": String, "createdAt": DateTime, "tagList": [String], '
    f'"author": {PROFILE}}}'
)
BLOG_TABLES = {
    "MembersApi": [
        '| /members | POST | Signs a new member up | body {"member": {"email": String, '
        f'"handle": String, "secret": String}}}} | 201 {MEMBER} | 422: Object |',
        '| /members/sign-in | POST | Signs a member in | body {"member": {"email": String, '
        f'"secret": String}}}} | 200 {MEMBER} | 422: {{"message": String}} |',
    ],
    "ProfilesApi": [
        '| /profiles/{handle} | GET | A member\'s public profile | path {"handle": String} | '
        f'200 {{"profile": {PROFILE}}} | 404 |',
        '| /profiles/{handle}/follow | POST | Follows a member | path {"handle": String} | '
        f'200 {{"profile": {PROFILE}}} | 404 |',
        '| /profiles/{handle}/follow | DELETE | Stops following a member | path {"handle": '
        "String} | 204 | 403 |",
    ],
    "PostsApi": [
        '| /posts/{slug} | GET | One post by its slug | path {"slug": String} | '
        f'200 {{"post": {POST_DATA}}} | 404 |',
        '| /posts | POST | Publishes a post | body {"post": {"title": String, "body": String, '
        f'"tagList": [String]}}}} | 201 {POST_DATA} | 422: Object |',
    ],
}


def _blog(settings: dict[str, str] | None = None, **extra: str) -> dict[str, spring.Controller]:
    files = {path.name: path.read_text("utf-8") for path in sorted(BLOG.glob("*.java"))}
    files |= extra
    units = {name: code_units.parse_java(text, name) for name, text in files.items()}
    return {c.name: c for c in spring.controllers(files, units, settings)}


def test_given_a_realworld_style_service_when_read_then_tables_follow_what_the_code_answers():
    # Bodies built in code (`ResponseEntity<?>`, raw `ResponseEntity`, maps of DTOs, Optional
    # chains, helpers), statuses from a static import and from @ResponseStatus exceptions,
    # @JsonRootName request bodies unwrapped by the settings, @JsonIgnore / @JsonProperty.
    found = _blog(BLOG_SETTINGS)
    assert {name: c.section for name, c in found.items()} == {
        "MembersApi": "Members", "ProfilesApi": "Profiles", "PostsApi": "Posts",
    }  # fmt: skip
    for name, rows in BLOG_TABLES.items():
        table = api_table.render_table(found[name].operations)
        assert table.splitlines()[2:] == rows, name
        assert api_table.validate(table) == []
    # The settings that wrap the request bodies and the exceptions that give statuses feed
    # the tables that use them.
    assert {"application.properties", "ErrorsAdvice.java"} <= found["MembersApi"].assets
    assert "Exceptions.java" in found["ProfilesApi"].assets
    assert "application.properties" not in found["ProfilesApi"].assets


def test_given_no_root_value_setting_when_read_then_root_names_do_not_wrap_bodies():
    found = _blog()
    (publish,) = [op for op in found["PostsApi"].operations if op.method == "POST"]
    assert publish.request == 'body {"title": String, "body": String, "tagList": [String]}'
    assert publish.response == f"201 {POST_DATA}"
    assert "application.properties" not in found["MembersApi"].assets


def test_given_wrap_root_value_in_java_configuration_when_read_then_responses_are_wrapped():
    config = """package org.example.blog;
@Configuration
class JacksonSettings {
    @Bean
    Jackson2ObjectMapperBuilderCustomizer wrapRoots() {
        return builder -> builder.featuresToEnable(SerializationFeature.WRAP_ROOT_VALUE);
    }
}
"""
    found = _blog(None, **{"JacksonSettings.java": config})
    (publish,) = [op for op in found["PostsApi"].operations if op.method == "POST"]
    assert publish.response == f'201 {{"post": {POST_DATA}}}'
    assert publish.request.startswith('body {"title": String')  # requests stay unwrapped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spring.jackson.deserialization.UNWRAP_ROOT_VALUE=true", (True, False)),
        ("spring:\n  jackson:\n    deserialization:\n      unwrap-root-value: true", (True, False)),
        ("spring.jackson.serialization.wrap-root-value: true", (False, True)),
        ("spring.jackson.deserialization.unwrap_root_value=false", (False, False)),
        ("mapper.configure(DeserializationFeature.UNWRAP_ROOT_VALUE, true);", (True, False)),
        ("mapper.configure(SerializationFeature.WRAP_ROOT_VALUE, false);", (False, False)),
        ("mapper.enable(SerializationFeature.WRAP_ROOT_VALUE);", (False, True)),
    ],
)
def test_given_jackson_settings_when_read_then_root_wrapping_follows_them(text, expected):
    assert spring.root_wrapping([text]) == expected


def test_given_an_advice_handler_and_a_response_status_when_both_apply_then_the_handler_wins():
    advice = """package org.example.blog.api;
@RestControllerAdvice
class Missing {
    @ExceptionHandler
    @ResponseStatus(HttpStatus.GONE)
    Problem gone(ResourceNotFoundException e) { return new Problem(e.getMessage()); }
}
record Problem(String message) {}
"""
    found = _blog(BLOG_SETTINGS, **{"Missing.java": advice})
    (profile, *_) = found["ProfilesApi"].operations
    assert profile.errors == '410: {"message": String}'  # Spring tries the advice first


def test_given_handlers_building_responses_in_code_when_read_then_each_build_is_a_row_cell():
    controller = """package w;
import static org.springframework.http.HttpStatus.NOT_FOUND;
@RestController
@RequestMapping("/notes")
class NoteController {
    private final NoteStore store;
    @GetMapping("/{id}")
    public ResponseEntity<?> one(@PathVariable long id, @RequestParam int v) {
        if (v < 0) return ResponseEntity.badRequest().body(Map.of("error", "bad version"));
        if (v == 0) return new ResponseEntity<>(NOT_FOUND);
        Map<String, Object> body = new HashMap<>();
        body.put("note", store.find(id).orElseThrow());
        return ResponseEntity.ok(body);
    }
    @PostMapping
    public ResponseEntity create() { return new ResponseEntity<>(new Note(), HttpStatus.CREATED); }
    @PutMapping("/{id}")
    public ResponseEntity touch(@PathVariable long id) { return ResponseEntity.ok().build(); }
}
interface NoteStore { Optional<Note> find(long id); }
class Note { String text; }
"""
    units = {"N.java": code_units.parse_java(controller)}
    (found,) = spring.controllers({"N.java": controller}, units)
    one, create, touch = found.operations
    assert (one.response, one.errors) == ('200 {"note": {"text": String}}',
                                          '400: {"error": String}; 404')  # fmt: skip
    assert create.response == '201 {"text": String}'
    assert touch.response == "200"  # built without a body, not an invented Object
