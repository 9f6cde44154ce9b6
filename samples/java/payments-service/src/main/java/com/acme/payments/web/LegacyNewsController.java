package com.acme.payments.web;

import com.acme.payments.domain.NewsPost;
import com.acme.payments.service.NewsPostService;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/**
 * The first version of the news endpoints, still called by the old app: verbs in the URIs and
 * every change a POST. Kept here as the habit the platform must not teach (its RESTful rewrite is
 * NewsPostController).
 */
@RestController
@RequestMapping("/news")
public class LegacyNewsController {

    private final NewsPostService service;

    public LegacyNewsController(NewsPostService service) {
        this.service = service;
    }

    /** Saves a new draft post. */
    @PostMapping("/createPost")
    public NewsPost createPost(@RequestBody NewsPostRequest request) {
        return service.create(request.title(), request.body());
    }

    /** One post by its id. */
    @GetMapping("/getPost/{id}")
    public NewsPost getPost(@PathVariable Long id) {
        return service.get(id);
    }

    /** Every published post, newest first. */
    @GetMapping("/getAllPosts")
    public List<NewsPost> getAllPosts() {
        return service.listPublished();
    }

    /** Changes the title and body of a draft. */
    @PostMapping("/updatePost/{id}")
    public NewsPost updatePost(@PathVariable Long id, @RequestBody NewsPostRequest request) {
        return service.edit(id, request.title(), request.body());
    }

    /** Deletes a post. */
    @GetMapping("/deletePost/{id}")
    public void deletePost(@PathVariable Long id) {
        service.delete(id);
    }
}
