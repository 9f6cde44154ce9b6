package com.acme.payments.web;

import com.acme.payments.domain.NewsPost;
import com.acme.payments.service.NewsPostService;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/**
 * REST endpoints for the bank's news posts: the resource in the URI, the action in the method.
 */
@RestController
@RequestMapping("/news-posts")
public class NewsPostController {

    private final NewsPostService service;

    public NewsPostController(NewsPostService service) {
        this.service = service;
    }

    /** Saves a new draft post. */
    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    public NewsPost create(@RequestBody NewsPostRequest request) {
        return service.create(request.title(), request.body());
    }

    /** One post by its id. */
    @GetMapping("/{postId}")
    public NewsPost get(@PathVariable Long postId) {
        return service.get(postId);
    }

    /** Every published post, newest first. */
    @GetMapping
    public List<NewsPost> list() {
        return service.listPublished();
    }

    /** Changes the title and body of a draft. */
    @PutMapping("/{postId}")
    public NewsPost edit(@PathVariable Long postId, @RequestBody NewsPostRequest request) {
        return service.edit(postId, request.title(), request.body());
    }

    /** Publishes a draft now. */
    @PostMapping("/{postId}/publication")
    public NewsPost publish(@PathVariable Long postId) {
        return service.publish(postId);
    }

    /** Deletes a post. */
    @DeleteMapping("/{postId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void delete(@PathVariable Long postId) {
        service.delete(postId);
    }
}
